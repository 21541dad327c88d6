package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/raysynth/raysynth/internal/bundletest"
	"github.com/raysynth/raysynth/manifest"
	"github.com/raysynth/raysynth/manifest/manifesttest"
	"github.com/raysynth/raysynth/publish"
	"github.com/raysynth/raysynth/publish/s3test"
)

// testKeyPair writes a public key file and returns it with its signer.
func testKeyPair(t *testing.T) (string, *manifest.Signer) {
	t.Helper()
	s, err := manifest.ParsePrivateKeyPEM("test.key", bundletest.KeyPEM(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := s.Public().PEM()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "hospital.pub")
	if err := os.WriteFile(p, pub, 0o644); err != nil {
		t.Fatal(err)
	}
	return p, s
}

// testBundle builds a small real signed bundle.
func testBundle(t *testing.T, s *manifest.Signer, version, override string) string {
	t.Helper()
	return testBundleN(t, s, version, override, 4)
}

// testBundleN builds a real signed bundle of n images.
func testBundleN(t *testing.T, s *manifest.Signer, version, override string, n int) string {
	t.Helper()
	return manifesttest.Build(t, manifesttest.Options{Version: version, N: n, Seed: 1, Override: override, Signer: s})
}

// startReleases starts a MinIO server with an empty bucket "releases" and points the AWS_*
// variables of the test at it.
func startReleases(t *testing.T) *s3test.Server {
	t.Helper()
	srv := s3test.Start(t, s3test.MinIO)
	setS3Env(t, srv)
	if err := srv.MakeBucket(context.Background(), "releases", false); err != nil {
		t.Fatal(err)
	}
	return srv
}

func setS3Env(t *testing.T, s *s3test.Server) {
	for _, kv := range s.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv(envSession, "")
	t.Setenv(envEndpoint, "")
}

// publish, verify in place, fetch and audit through the CLI, on every S3 server (MinIO and
// VersityGW, or the endpoint named by RAYSYNTH_S3_TEST_ENDPOINT).
func TestPublishFetchAuditCLI(t *testing.T) {
	for _, kind := range s3test.Kinds() {
		t.Run(string(kind), func(t *testing.T) {
			srv := s3test.Start(t, kind)
			b := srv.BucketName("releases")
			setS3Env(t, srv)
			ctx := context.Background()
			if err := srv.MakeBucket(ctx, b, false); err != nil {
				t.Fatal(err)
			}
			pub, s := testKeyPair(t)
			b1 := testBundle(t, s, "1.0.0", "")

			code, out, errOut := runCLI(t, "publish", b1, "--to", "s3://"+b+"/chest", "--key", pub, "--parallel", "2", "--presign", "1h")
			if code != 0 {
				t.Fatalf("publish exit %d: %s", code, errOut)
			}
			if !strings.HasPrefix(out, "s3://"+b+"/chest/chest/1.0.0\n") || !strings.Contains(out, "bagit.txt\thttp://") {
				t.Fatalf("publish stdout: %q", out)
			}
			for _, want := range []string{"published chest 1.0.0", "LATEST now points to 1.0.0", "raysynth verify s3://" + b + "/chest/chest/1.0.0 --key " + pub} {
				if !strings.Contains(errOut, want) {
					t.Errorf("publish stderr lacks %q: %s", want, errOut)
				}
			}
			if strings.Contains(out+errOut, srv.Password) {
				t.Fatal("the secret key was printed")
			}
			code, out, errOut = runCLI(t, "publish", b1, "--to", "s3://"+b+"/chest", "--key", pub, "--json")
			var res publish.Result
			if code != 0 || json.Unmarshal([]byte(out), &res) != nil || !res.AlreadyPublished {
				t.Fatalf("republish exit %d: %s %s", code, out, errOut)
			}

			// The verifyAt helper verify uses: in place through LATEST.
			vr, err := verifyAt(ctx, &globals{log: discardLog()}, "s3://"+b+"/chest/chest", "", []*manifest.PublicKey{s.Public()})
			if err != nil || vr.Version != "1.0.0" || vr.HighestSignedVersion != "1.0.0" {
				t.Fatalf("verify in place: %v %+v", err, vr)
			}

			// raysynth verify in place, through LATEST and by version.
			for _, ref := range []string{"s3://" + b + "/chest/chest", "s3://" + b + "/chest/chest/1.0.0"} {
				if code, out, errOut := runCLI(t, "verify", ref, "--key", pub); code != 0 || !strings.Contains(out, "OK: s3://"+b+"/chest/chest/1.0.0") {
					t.Fatalf("verify %s exit %d: %s %s", ref, code, out, errOut)
				}
			}

			// Only --endpoint names the server (the environment does not): verify finds the release
			// there, and the raysynth fetch command it prints carries the flag.
			t.Setenv(envEndpointS3, "")
			code, out, errOut = runCLI(t, "verify", "s3://"+b+"/chest/chest/1.0.0", "--key", pub, "--endpoint", srv.Endpoint, "--json")
			if code != 0 || !strings.Contains(out, `"ok": true`) || !strings.Contains(out, "--endpoint "+srv.Endpoint+" --out BUNDLE") {
				t.Fatalf("verify --endpoint exit %d: %s %s", code, out, errOut)
			}
			code, _, errOut = runCLI(t, "publish", b1, "--to", "s3://"+b+"/chest", "--key", pub, "--endpoint", srv.Endpoint)
			if code != 0 || !strings.Contains(errOut, "raysynth verify s3://"+b+"/chest/chest/1.0.0 --key "+pub+" --endpoint "+srv.Endpoint) {
				t.Fatalf("publish --endpoint exit %d: %s", code, errOut)
			}
			t.Setenv(envEndpointS3, srv.Endpoint)

			dest := filepath.Join(t.TempDir(), "got")
			code, out, errOut = runCLI(t, "fetch", "s3://"+b+"/chest/chest", "--key", pub, "--out", dest)
			if code != 0 || strings.TrimSpace(out) != dest {
				t.Fatalf("fetch exit %d: %q %s", code, out, errOut)
			}
			if _, err := os.Stat(filepath.Join(dest, manifest.FileTagManifestSig)); err != nil {
				t.Fatal(err)
			}

			// A release with an override, then an audit that fails on it (exit 4) with JSON for machines.
			b2 := testBundle(t, s, "1.1.0", "ethics board approval 2026-11-27")
			if code, _, errOut := runCLI(t, "publish", b2, "--to", "s3://"+b+"/chest", "--key", pub); code != 0 {
				t.Fatalf("publish override exit %d: %s", code, errOut)
			}
			code, out, _ = runCLI(t, "audit", "s3://"+b+"/chest", "--key", pub)
			if code != exitVerifyFail || !strings.Contains(out, "\nFAIL ") || !strings.Contains(out, "overridden") || !strings.Contains(out, "\nok ") {
				t.Fatalf("audit exit %d:\n%s", code, out)
			}
			code, out, _ = runCLI(t, "audit", "s3://"+b+"/chest", "--key", pub, "--json")
			var rep publish.AuditReport
			if code != exitVerifyFail || json.Unmarshal([]byte(out), &rep) != nil || rep.OK || rep.Failed != 1 || len(rep.Releases) != 2 {
				t.Fatalf("audit --json exit %d: %s", code, out)
			}
			pol := filepath.Join(t.TempDir(), "policy.yaml")
			os.WriteFile(pol, []byte("allow_overrides: true\nrequire_privacy_passed: false\n"), 0o644)
			if code, out, errOut := runCLI(t, "audit", "s3://"+b+"/chest", "--key", pub, "--policy", pol); code != 0 {
				t.Fatalf("audit with a lenient policy exit %d: %s %s", code, out, errOut)
			}

			// Tampering through the S3 API fails verification in place and fetch (exit 4), leaving nothing.
			c, _ := srv.Client()
			if _, err := c.PutObject(ctx, b, "chest/chest/1.1.0/README.md", strings.NewReader("edited"), 6, minio.PutObjectOptions{}); err != nil {
				t.Fatal(err)
			}
			if code, out, _ := runCLI(t, "verify", "s3://"+b+"/chest/chest", "--key", pub); code != exitVerifyFail || !strings.Contains(out, "hash-mismatch") {
				t.Fatalf("verify of a tampered release exit %d: %s", code, out)
			}
			dest2 := filepath.Join(t.TempDir(), "got2")
			code, _, errOut = runCLI(t, "fetch", "s3://"+b+"/chest/chest", "--key", pub, "--out", dest2)
			if code != exitVerifyFail || !strings.Contains(errOut, "rule hash: README.md") {
				t.Fatalf("fetch of a tampered release exit %d: %s", code, errOut)
			}
			if _, err := os.Stat(dest2); !os.IsNotExist(err) {
				t.Fatal("tampered release left in the output folder")
			}

			// Refused bundle: exit 4 and a hint.
			other, _ := testKeyPair(t)
			code, _, errOut = runCLI(t, "publish", b1, "--to", "s3://"+b+"/chest", "--key", other)
			if code != exitVerifyFail || !strings.Contains(errOut, "raysynth: hint: run `raysynth verify") {
				t.Fatalf("publish with the wrong key exit %d: %s", code, errOut)
			}
		})
	}
}

func TestPublishCLIClearErrors(t *testing.T) {
	srv := startReleases(t)
	pub, s := testKeyPair(t)
	b := testBundle(t, s, "1.0.0", "")

	code, _, errOut := runCLI(t, "publish", b, "--to", "s3://missing-bucket/x", "--key", pub)
	if code != exitError || !strings.Contains(errOut, "bucket does not exist") || !strings.Contains(errOut, "hint: create the bucket") {
		t.Fatalf("missing bucket exit %d: %s", code, errOut)
	}
	t.Setenv(envSecretKey, "wrong-secret-value-123")
	code, _, errOut = runCLI(t, "publish", b, "--to", "s3://releases/x", "--key", pub)
	if code != exitError || !strings.Contains(errOut, "credentials rejected") || !strings.Contains(errOut, "AWS_SECRET_ACCESS_KEY") || strings.Contains(errOut, "wrong-secret-value-123") {
		t.Fatalf("wrong secret exit %d: %s", code, errOut)
	}
	t.Setenv(envSecretKey, srv.Password)
	code, _, errOut = runCLI(t, "publish", b, "--to", "s3://releases/x", "--key", pub, "--retention-days", "3")
	if code != exitError || !strings.Contains(errOut, "Object Lock") {
		t.Fatalf("retention without object lock exit %d: %s", code, errOut)
	}
	code, _, errOut = runCLI(t, "publish", b, "--to", "s3://Bad_Bucket/x", "--key", pub)
	if code != exitUsage {
		t.Fatalf("bad URL exit %d: %s", code, errOut)
	}
}

func discardLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

// The policy shown in `raysynth audit --help` is a valid policy.
func TestAuditHelpPolicyParses(t *testing.T) {
	_, body, ok := strings.Cut(auditPolicyHelp, "unknown fields are errors):\n")
	if !ok {
		t.Fatal("policy example not found in the help")
	}
	p, err := publish.ParsePolicy([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.RequiredChecks) != 1 || len(p.RequiredRAIFields) != 2 || p.MaxEpsilon == nil {
		t.Fatalf("parsed %+v", p)
	}
}

// On a real S3 server, what a bucket writer without the key can do fails verify and fetch with
// exit code 4 and the rule: LATEST moved back, a release copied to another version, a LATEST
// that does not parse, a release without bagit.txt, an object with an unsafe name.
func TestS3BindingExitCodes(t *testing.T) {
	srv := startReleases(t)
	ctx := context.Background()
	pub, s := testKeyPair(t)
	for _, v := range []string{"1.0.0", "1.1.0"} {
		if code, _, errOut := runCLI(t, "publish", testBundle(t, s, v, ""), "--to", "s3://releases/r", "--key", pub); code != 0 {
			t.Fatalf("publish %s exit %d: %s", v, code, errOut)
		}
	}
	c, _ := srv.Client()
	get := func(key string) []byte {
		o, err := c.GetObject(ctx, "releases", key, minio.GetObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer o.Close()
		b, err := io.ReadAll(o)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	put := func(key string, b []byte) {
		if _, err := c.PutObject(ctx, "releases", key, bytes.NewReader(b), int64(len(b)), minio.PutObjectOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	latest := get("r/chest/LATEST")
	old := bytes.ReplaceAll(latest, []byte("1.1.0"), []byte("1.0.0"))
	tm := get("r/chest/1.0.0/" + manifest.FileTagManifest)
	sum := sha256.Sum256(tm)
	var p publish.Pointer
	json.Unmarshal(latest, &p)
	old = bytes.ReplaceAll(old, []byte(p.TagManifestSHA256), []byte(hex.EncodeToString(sum[:])))

	cases := []struct {
		name  string
		setup func()
		ref   string
		rule  string
	}{
		{"rollback", func() { put("r/chest/LATEST", old) }, "s3://releases/r/chest", "rollback"},
		{"copied version", func() {
			for o := range c.ListObjects(ctx, "releases", minio.ListObjectsOptions{Prefix: "r/chest/1.0.0/", Recursive: true}) {
				put("r/chest/2.0.0/"+strings.TrimPrefix(o.Key, "r/chest/1.0.0/"), get(o.Key))
			}
		}, "s3://releases/r/chest/2.0.0", "name-version"},
		{"forged LATEST", func() { put("r/lung/LATEST", []byte("{\"name\":")) }, "s3://releases/r/lung", "latest-pointer"},
		{"incomplete release", func() { put("r/half/1.0.0/data/index.csv", []byte("x")) }, "s3://releases/r/half/1.0.0", "complete-release"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.setup()
			code, out, errOut := runCLI(t, "verify", tc.ref, "--key", pub)
			if code != exitVerifyFail || !strings.Contains(out+errOut, tc.rule) {
				t.Errorf("verify exit %d: %s %s", code, out, errOut)
			}
			dest := filepath.Join(t.TempDir(), "got")
			code, _, errOut = runCLI(t, "fetch", tc.ref, "--key", pub, "--out", dest)
			if code != exitVerifyFail || !strings.Contains(errOut, tc.rule) {
				t.Errorf("fetch exit %d: %s", code, errOut)
			}
			if _, err := os.Stat(dest); !os.IsNotExist(err) {
				t.Errorf("fetch left %s", dest)
			}
		})
	}
	put("r/chest/1.1.0/.tmp-x", []byte("x"))
	code, _, errOut := runCLI(t, "fetch", "s3://releases/r/chest/1.1.0", "--key", pub, "--out", filepath.Join(t.TempDir(), "got"))
	if code != exitVerifyFail || !strings.Contains(errOut, "rule safe-names") {
		t.Errorf("unsafe key: fetch exit %d: %s", code, errOut)
	}
}
