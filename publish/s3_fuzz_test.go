package publish

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// hostileS3 is an S3 endpoint on loopback whose listing, object bodies, headers and errors are
// the fuzzer's: the S3 client, our error classification, listing and release reading must
// survive whatever a server they do not control sends.
type hostileS3 struct {
	mu      sync.Mutex
	list    []byte
	body    []byte
	status  int
	headers string // "Name: value" lines added to object responses
}

func (h *hostileS3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	list, body, status, headers := h.list, h.body, h.status, h.headers
	h.mu.Unlock()
	parts := strings.SplitN(strings.Trim(r.URL.Path, "/"), "/", 2)
	switch {
	case len(parts) == 1 && r.Method == http.MethodHead: // BucketExists
		w.WriteHeader(http.StatusOK)
	case len(parts) == 1 && r.URL.Query().Get("list-type") == "2":
		w.Header().Set("Content-Type", "application/xml")
		if r.URL.Query().Get("continuation-token") != "" {
			// One hostile page per listing: a server that says "truncated" forever is the
			// S3 deadlines' business (issue 16), not this target's.
			io.WriteString(w, `<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>`)
			return
		}
		w.WriteHeader(status)
		w.Write(list)
	default:
		for _, line := range strings.Split(headers, "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && http.CanonicalHeaderKey(strings.TrimSpace(k)) != "" {
				w.Header().Set(strings.TrimSpace(k), strings.TrimSpace(v))
			}
		}
		if w.Header().Get("Last-Modified") == "" {
			w.Header().Set("Last-Modified", "Mon, 02 Jan 2026 15:04:05 GMT")
		}
		w.Header().Set("ETag", `"0123456789abcdef0123456789abcdef"`)
		if r.Method == http.MethodHead {
			w.Header().Set("Content-Length", "64")
			w.WriteHeader(status)
			return
		}
		w.WriteHeader(status)
		w.Write(body)
	}
}

var hostileServer struct {
	once sync.Once
	h    *hostileS3
	url  string
}

// FuzzS3Listing lists a bucket and opens a release on a server that answers with the fuzzer's
// listing XML, object body, headers and status. Nothing may panic or hang, and every listed key
// lies under the prefix asked for.
func FuzzS3Listing(f *testing.F) {
	page := `<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>bkt</Name><Prefix>p/</Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>` +
		`<Contents><Key>p/chest/LATEST</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>"x"</ETag><Size>10</Size></Contents>` +
		`<Contents><Key>p/chest/1.0.0/bagit.txt</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified><Size>-5</Size></Contents></ListBucketResult>`
	pointer := Pointer{Name: "chest", Version: "1.0.0", TagManifestSHA256: strings.Repeat("ab", 32)}.encode()
	f.Add([]byte(page), pointer, 200, "")
	f.Add([]byte(page), []byte(`<Error><Code>AccessDenied</Code><Message>no</Message></Error>`), 403, "Content-Type: application/xml")
	f.Add([]byte(`<ListBucketResult><IsTruncated>true</IsTruncated><NextContinuationToken>t</NextContinuationToken><Contents><Key>../../etc/passwd</Key></Contents></ListBucketResult>`), []byte("{}"), 200, "Content-Length: 99999999999")
	f.Add([]byte(`<Error><Code>SlowDown</Code></Error>`), pointer, 503, "Retry-After: 999999")
	f.Add([]byte("\x00\xff<<"), []byte(strings.Repeat("A", 5000)), 200, "X-Amz-Meta-Sha256: \x1b[31m\nx-amz-checksum-crc64nvme: ====")
	f.Fuzz(func(t *testing.T, list, body []byte, status int, headers string) {
		hostileServer.once.Do(func() {
			hostileServer.h = &hostileS3{}
			hostileServer.url = httptest.NewServer(hostileServer.h).URL
		})
		if status < 200 || status > 599 || status == 204 || status == 304 || (status >= 100 && status < 200) {
			status = 200
		}
		h := hostileServer.h
		h.mu.Lock()
		h.list, h.body, h.status, h.headers = list, body, status, headers
		h.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		st, err := OpenS3(ctx, S3Config{Endpoint: hostileServer.url, AccessKey: "k", SecretKey: "s", Bucket: "bkt", Prefix: "p",
			Retry: Retry{Attempts: 2, Base: time.Millisecond}})
		if err != nil {
			return // the bucket check reads the first page of the (hostile) listing
		}
		objs, err := st.List(ctx, "chest/")
		if err == nil {
			for _, o := range objs {
				if strings.HasPrefix(o.Key, "p/") {
					t.Fatalf("key %q keeps the store prefix", o.Key)
				}
			}
		}
		rel, err := OpenRelease(ctx, st, "chest")
		if err != nil {
			return
		}
		src := rel.Source()
		files, err := src.List(ctx)
		if err != nil {
			return
		}
		for _, fi := range files {
			rc, err := src.Open(ctx, fi.Name)
			if err != nil {
				continue
			}
			if _, err := io.Copy(io.Discard, io.LimitReader(rc, 1<<20)); err != nil && errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("read %s: %v", fi.Name, err)
			}
			rc.Close()
		}
	})
}
