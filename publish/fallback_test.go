package publish

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/raysynth/raysynth/manifest"
	"github.com/raysynth/raysynth/publish/s3test"
)

// ignoringProxy stands in front of a real S3 server and makes it look like one that neither
// confirms checksums (it drops the x-amz-checksum-* response headers) nor honours create-only
// writes (it turns the server's 412 on a conditional PUT into 200, which is what a client sees
// from a server that ignores If-None-Match and stores the same bytes again).
func ignoringProxy(t *testing.T, s *s3test.Server) (endpoint string, turned *atomic.Int64) {
	t.Helper()
	target, err := url.Parse(s.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	turned = &atomic.Int64{}
	p := httputil.NewSingleHostReverseProxy(target) // keeps the Host header the client signed
	p.ModifyResponse = func(r *http.Response) error {
		for k := range r.Header {
			if strings.HasPrefix(strings.ToLower(k), "x-amz-checksum-") {
				r.Header.Del(k)
			}
		}
		if r.Request.Method == http.MethodPut && r.StatusCode == http.StatusPreconditionFailed && r.Request.Header.Get("If-None-Match") == "*" {
			turned.Add(1)
			r.StatusCode, r.Status = http.StatusOK, "200 OK"
			r.Body.Close()
			r.Body = http.NoBody
			r.ContentLength = 0
			r.Header.Del("Content-Length")
			r.Header.Set("ETag", `"ignored"`)
		}
		return nil
	}
	ts := httptest.NewServer(p)
	t.Cleanup(ts.Close)
	return ts.URL, turned
}

// Behind a server that confirms no checksum and ignores If-None-Match, publish falls back to
// Content-MD5 with a read-back and to a HEAD before each PUT, says both once, and still never
// replaces a release object; the release verifies in place.
func TestPublishFallsBackWhereTheServerIgnores(t *testing.T) {
	eachServer(t, func(t *testing.T, s *s3test.Server) {
		if s.Kind == s3test.External {
			t.Log("needs a local server behind the proxy")
			return
		}
		ctx := context.Background()
		ep, turned := ignoringProxy(t, s)
		bucket := newBucketOn(t, s, false)
		cfg := s3cfg(s, bucket, "p")
		cfg.Endpoint = ep
		var notes syncBuffer
		cfg.Notice = func(m string) { notes.Write([]byte(m + "\n")) }
		st, err := OpenS3(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		bundle := makeBundle(t, bundleOpts{n: 6})
		res, err := Publish(ctx, Config{Bundle: bundle, Store: st, Keys: keys(t), Parallel: 3, VerifyRemote: true})
		if err != nil {
			t.Fatal(err)
		}
		wm := res.WriteMode
		if wm.Integrity != "content-md5" || wm.CreateOnly != "head-before-put" || len(wm.Notes) != 2 || !res.VerifiedInPlace {
			t.Fatalf("write mode %+v, verified %v", wm, res.VerifiedInPlace)
		}
		n := notes.String()
		if strings.Count(n, "\n") != 2 || !strings.Contains(n, "uploads now carry Content-MD5") || !strings.Contains(n, "ignores If-None-Match") {
			t.Fatalf("notices:\n%s", n)
		}
		// One probe per upload that finished before the first probe's answer (at most Parallel).
		probes := turned.Load()
		if probes < 1 || probes > 3 {
			t.Fatalf("%d conditional PUTs repeated, want 1 to 3 probes", probes)
		}
		// A create-only write over an existing object is refused by the HEAD, not sent.
		err = st.Put(ctx, "chest/1.0.0/bagit.txt", strings.NewReader("other"), 5, PutOptions{CreateOnly: true})
		if !errors.Is(err, ErrExists) || turned.Load() != probes {
			t.Fatalf("create-only over an existing object: %v (%d turned)", err, turned.Load())
		}
		rel, err := OpenRelease(ctx, st, "chest")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := manifest.Verify(ctx, rel.Source(), manifest.VerifyOptions{Keys: keys(t)}); err != nil {
			t.Fatalf("verify in place: %v", err)
		}
	})
}
