package publish

import (
	"errors"
	"strings"
	"testing"
)

func TestParseLocation(t *testing.T) {
	for _, tc := range []struct {
		in             string
		bucket, prefix string
		dir            string
		bad            bool
	}{
		{in: "s3://releases", bucket: "releases"},
		{in: "s3://releases/", bucket: "releases"},
		{in: "s3://releases/chest", bucket: "releases", prefix: "chest"},
		{in: "S3://releases/a/b/", bucket: "releases", prefix: "a/b"},
		{in: "s3://my.bucket-1/x", bucket: "my.bucket-1", prefix: "x"},
		{in: "./out", dir: "./out"},
		{in: "/srv/releases", dir: "/srv/releases"},
		{in: "", bad: true},
		{in: "s3://", bad: true},
		{in: "s3:///x", bad: true},
		{in: "s3://ab", bad: true},
		{in: "s3://Upper", bad: true},
		{in: "s3://-abc", bad: true},
		{in: "s3://a..b", bad: true},
		{in: "s3://192.168.1.1", bad: true},
		{in: "s3://bucket/a//b", bad: true},
		{in: "s3://bucket/a/../b", bad: true},
		{in: "s3://bucket/a\\b", bad: true},
		{in: "s3://bucket/a\nb", bad: true},
		{in: "s3://under_score", bad: true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			loc, err := ParseLocation(tc.in)
			if tc.bad {
				if err == nil {
					t.Fatalf("want error, got %+v", loc)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if loc.Bucket != tc.bucket || loc.Prefix != tc.prefix || loc.Dir != tc.dir {
				t.Fatalf("got %+v", loc)
			}
		})
	}
	if _, err := ParseLocation("s3://Bad"); !errors.Is(err, ErrBadURL) {
		t.Fatalf("want ErrBadURL, got %v", err)
	}
}

func FuzzParseLocation(f *testing.F) {
	for _, s := range []string{"s3://releases/chest", "s3://a.b-c/x/y/", "dir", "s3://x", "s3://bucket/../..", "s3://bucket/\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		loc, err := ParseLocation(s)
		if err != nil {
			return
		}
		if !loc.IsS3() {
			if loc.Dir != s {
				t.Fatalf("folder %q became %q", s, loc.Dir)
			}
			return
		}
		if checkBucket(loc.Bucket) != nil {
			t.Fatalf("invalid bucket %q accepted from %q", loc.Bucket, s)
		}
		if strings.HasPrefix(loc.Prefix, "/") || strings.HasSuffix(loc.Prefix, "/") || strings.Contains(loc.Prefix, "//") {
			t.Fatalf("prefix %q not normalised", loc.Prefix)
		}
		for _, seg := range strings.Split(loc.Prefix, "/") {
			if seg == ".." || seg == "." {
				t.Fatalf("prefix %q escapes", loc.Prefix)
			}
		}
		// Round trip: the printed form parses to the same location.
		again, err := ParseLocation(loc.String())
		if err != nil || again != loc {
			t.Fatalf("round trip %q -> %+v -> %q -> %+v, %v", s, loc, loc.String(), again, err)
		}
	})
}

func FuzzParsePointer(f *testing.F) {
	f.Add(Pointer{Name: "chest", Version: "1.0.0", TagManifestSHA256: strings.Repeat("ab", 32)}.encode())
	f.Add([]byte(`{"version":"../x","tagmanifest_sha256":""}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePointer(data)
		if err != nil {
			return
		}
		if checkSegment("version", p.Version) != nil || len(p.TagManifestSHA256) != 64 {
			t.Fatalf("accepted %+v", p)
		}
		again, err := ParsePointer(p.encode())
		if err != nil || again != p {
			t.Fatalf("round trip %+v -> %+v, %v", p, again, err)
		}
	})
}
