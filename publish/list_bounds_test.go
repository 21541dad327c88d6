package publish

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// endlessLister is an S3 endpoint whose listing never ends the way a broken or hostile server's
// could: pages of keys that always say "truncated", empty truncated pages, or one page that
// streams without end. pages counts the listing requests it answered.
type endlessLister struct {
	mode  string // "keys", "empty", "huge" or "three" (three full pages, then the end)
	pages atomic.Int64
	last  int64 // the last page in mode "three" (default 3)
}

func (h *endlessLister) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("list-type") != "2" {
		w.WriteHeader(http.StatusOK) // BucketExists
		return
	}
	n := h.pages.Add(1)
	w.Header().Set("Content-Type", "application/xml")
	entry := func(i int) string {
		return fmt.Sprintf(`<Contents><Key>chest/1.0.0/data/%08d.png</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified><Size>10</Size></Contents>`, i)
	}
	io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>releases</Name>`)
	switch h.mode {
	case "keys", "three":
		for i := range 1000 {
			io.WriteString(w, entry(int(n)*1000+i))
		}
	case "huge":
		for i := 0; r.Context().Err() == nil && i < 10_000_000; i++ {
			if _, err := io.WriteString(w, entry(i)); err != nil {
				return
			}
		}
	}
	last := h.last
	if last == 0 {
		last = 3
	}
	truncated := h.mode != "three" || n < last
	fmt.Fprintf(w, `<IsTruncated>%t</IsTruncated><NextContinuationToken>t%d</NextContinuationToken></ListBucketResult>`, truncated, n)
}

// A listing is bounded in keys, pages and bytes per page: a server that lists without end fails
// with ErrListTooLong naming the bound, asked for no more pages than the bound, and is not
// retried; a listing within the bounds is read whole. (The bounds are lowered here; the real
// ones are 250,000 keys, 20,000 pages and 8 MB a page.)
func TestListingBounded(t *testing.T) {
	saved := listBounds
	t.Cleanup(func() { listBounds = saved })
	listBounds.keys, listBounds.pages, listBounds.pageBytes = 5000, 40, 1<<20
	for _, tc := range []struct {
		mode, says string
		maxPages   int64
	}{
		{"keys", "more than 5000 objects", 6},
		{"empty", "more than 40 pages", 40},
		{"huge", "a page of more than 1 MB", 1},
		{"three", "", 3},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			h := &endlessLister{mode: tc.mode}
			srv := httptest.NewServer(h)
			defer srv.Close()
			// The bucket check reads one page: it fails on the huge one, and stops after the
			// first of the others.
			st, err := OpenS3(context.Background(), S3Config{Endpoint: srv.URL, AccessKey: "k", SecretKey: "s", Bucket: "releases"})
			var objs []ObjectInfo
			if err == nil {
				h.pages.Store(0)
				objs, err = st.List(context.Background(), "chest/")
			}
			switch {
			case tc.says == "" && (err != nil || len(objs) != 3000):
				t.Fatalf("%d objects, %v; want 3000", len(objs), err)
			case tc.says != "" && (!errors.Is(err, ErrListTooLong) || !strings.Contains(err.Error(), tc.says) || !Permanent(err)):
				t.Fatalf("%d objects, %v; want ErrListTooLong saying %q", len(objs), err, tc.says)
			}
			if n := h.pages.Load(); n > tc.maxPages {
				t.Fatalf("the server answered %d listing requests, want at most %d", n, tc.maxPages)
			}
			t.Logf("%d pages: %v", h.pages.Load(), err)
		})
	}
}

// Audit lists the whole store, which holds every release's files, so its listing is not held to
// a release's key bound: a store of more keys than a release may have is audited whole (its
// objects outside any release reported as stray), while verify's listing of the same prefix
// fails at the bound. (The release bound is lowered here to 2,000 keys; the real one is 250,000.)
func TestAuditListsMoreThanAReleaseBound(t *testing.T) {
	saved := listBounds
	t.Cleanup(func() { listBounds = saved })
	listBounds.keys = 2000
	h := &endlessLister{mode: "three", last: 5}
	srv := httptest.NewServer(h)
	defer srv.Close()
	st, err := OpenS3(context.Background(), S3Config{Endpoint: srv.URL, AccessKey: "k", SecretKey: "s", Bucket: "releases"})
	if err != nil {
		t.Fatal(err)
	}
	h.pages.Store(0)
	if _, err := st.List(context.Background(), "chest/"); !errors.Is(err, ErrListTooLong) {
		t.Fatalf("a release listing of 5,000 keys over a bound of 2,000: %v, want ErrListTooLong", err)
	}
	h.pages.Store(0)
	rep, err := Audit(context.Background(), AuditConfig{Store: st, Keys: keys(t)})
	if err != nil {
		t.Fatalf("audit of a 5,000-key store: %v", err)
	}
	if len(rep.Stray) != 5000 || rep.OK {
		t.Fatalf("audit saw %d stray objects (ok %v), want 5000 and not ok", len(rep.Stray), rep.OK)
	}
}
