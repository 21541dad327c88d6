package publish

import (
	"strings"
	"testing"
)

func TestS3ConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  S3Config
		bad  string
	}{
		{"ok http", S3Config{Endpoint: "http://127.0.0.1:9000", Bucket: "releases", AccessKey: "a", SecretKey: "s"}, ""},
		{"ok bare host", S3Config{Endpoint: "minio.local:9000", Bucket: "releases"}, ""},
		{"no endpoint", S3Config{Bucket: "releases"}, "AWS_ENDPOINT_URL_S3"},
		{"userinfo", S3Config{Endpoint: "http://user:hunter2-secret@host:9000", Bucket: "releases"}, "scheme://host[:port] only"},
		{"path", S3Config{Endpoint: "http://host:9000/x", Bucket: "releases"}, "scheme://host[:port] only"},
		{"scheme", S3Config{Endpoint: "ftp://host", Bucket: "releases"}, "http or https"},
		{"half credentials", S3Config{Endpoint: "http://h:1", Bucket: "releases", AccessKey: "a"}, "both"},
		{"bad bucket", S3Config{Endpoint: "http://h:1", Bucket: "A"}, "bucket name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.bad == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.bad) {
				t.Fatalf("want error with %q, got %v", tc.bad, err)
			}
			if strings.Contains(err.Error(), "hunter2-secret") {
				t.Fatalf("error shows the password: %v", err)
			}
		})
	}
	host, secure, err := endpointHost("minio.local:9000")
	if err != nil || host != "minio.local:9000" || !secure {
		t.Fatalf("bare endpoint: %s %v %v", host, secure, err)
	}
}

func TestCompareVersions(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"1.10.0", "1.9.0", 1}, {"1.0.0", "1.0.0", 0}, {"v2", "1.99", 1}, {"1.0", "1.0.1", -1}, {"1.0.0-rc1", "1.0.0-rc2", -1}, {"1.0.0", "1.0.0-rc1", 1}, {"1.0.0-rc.2", "1.0.0-rc.10", -1}, {"1.0.0+b1", "1.0.0", 0},
	} {
		if got := compareVersions(tc.a, tc.b); got != tc.want {
			t.Errorf("compareVersions(%s, %s) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
