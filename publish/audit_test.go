package publish

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/raysynth/raysynth/manifest"
	"github.com/raysynth/raysynth/publish/s3test"
)

func TestAuditFlagsTamperOverrideAndStrays(t *testing.T) {
	eachServer(t, func(t *testing.T, s *s3test.Server) {
		ctx := context.Background()
		bucket := newBucketOn(t, s, false)
		st := openS3(t, s, bucket, "rel")
		c := rawClient(t, s)
		pub := func(o bundleOpts) {
			t.Helper()
			if _, err := Publish(ctx, Config{Bundle: makeBundle(t, o), Store: st, Keys: keys(t)}); err != nil {
				t.Fatal(err)
			}
		}
		pub(bundleOpts{n: 4, version: "1.0.0", dp: true})
		pub(bundleOpts{n: 4, version: "1.1.0", override: "approved by the ethics board on 2026-11-27"})
		pub(bundleOpts{n: 4, version: "1.2.0"})
		pub(bundleOpts{n: 2, name: "lung", version: "2.0.0"})

		// Another writer overwrites an image of 1.2.0 (which LATEST names) through the S3 API.
		objs, _ := st.List(ctx, "chest/1.2.0/data/images/")
		if len(objs) == 0 {
			t.Fatal("no images published")
		}
		victim := "rel/" + objs[0].Key
		if _, err := c.PutObject(ctx, bucket, victim, strings.NewReader("tampered"), 8, minio.PutObjectOptions{}); err != nil {
			t.Fatal(err)
		}
		// lung 2.0.0 loses its signatures; strays and a dangling pointer appear.
		for _, f := range []string{manifest.FileTagManifestSig, manifest.FileProvenanceSig} {
			if err := c.RemoveObject(ctx, bucket, "rel/lung/2.0.0/"+f, minio.RemoveObjectOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		for key, body := range map[string]string{
			"rel/notes.txt":        "hello",
			"rel/chest/extra.txt":  "x",
			"rel/ghost/LATEST":     string(Pointer{Name: "ghost", Version: "9.9.9", TagManifestSHA256: strings.Repeat("ab", 32)}.encode()),
			"rel/chest/0.9.0/x.md": "no bagit here",
		} {
			if _, err := c.PutObject(ctx, bucket, key, strings.NewReader(body), int64(len(body)), minio.PutObjectOptions{}); err != nil {
				t.Fatal(err)
			}
		}

		rep, err := Audit(ctx, AuditConfig{Store: st, Keys: keys(t)})
		if err != nil {
			t.Fatal(err)
		}
		if rep.OK || len(rep.Releases) != 4 {
			t.Fatalf("audit: ok=%v releases=%d", rep.OK, len(rep.Releases))
		}
		get := func(dir string) ReleaseReport {
			i := slices.IndexFunc(rep.Releases, func(r ReleaseReport) bool { return r.Dir == dir })
			if i < 0 {
				t.Fatalf("release %s not listed", dir)
			}
			return rep.Releases[i]
		}
		good := get("chest/1.0.0")
		if !good.OK || !good.Verified || good.KeyHint != signer(t).Public().Hint() || good.ImagesPerClass["normal"] != 2 ||
			good.DPEpsilon == nil || *good.DPEpsilon != 7.5 || good.Date == "" || len(good.Checks) != 1 {
			t.Fatalf("good release: %+v", good)
		}
		if ck := good.Checks[0]; ck.Bound == nil || *ck.Bound != 1.3 || ck.Note != "test note" || ck.Value == nil || *ck.Value != 1.5 {
			t.Fatalf("good release's check lost its bound or note: %+v", ck)
		}
		over := get("chest/1.1.0")
		if over.OK || !over.Verified || len(over.Overrides) != 1 || !containsAny(over.Violations, "overridden") {
			t.Fatalf("override release: %+v", over)
		}
		tamp := get("chest/1.2.0")
		if tamp.OK || tamp.Verified || !containsAny(tamp.Problems, "hash-mismatch") {
			t.Fatalf("tampered release: %+v", tamp)
		}
		lung := get("lung/2.0.0")
		if lung.OK || lung.Signed || !containsAny(lung.Problems, "no signature") {
			t.Fatalf("unsigned release: %+v", lung)
		}
		for _, want := range []string{"chest/LATEST: points to version 1.2.0, which fails verification", "ghost/LATEST: points to version 9.9.9, which is missing",
			"notes.txt: outside any release", "chest/extra.txt: outside any release", "chest/0.9.0/x.md: outside any release"} {
			if !containsAny(rep.Findings, want) {
				t.Errorf("finding %q missing from %q", want, rep.Findings)
			}
		}
		if rep.Failed != 3 {
			t.Fatalf("failed = %d, want 3", rep.Failed)
		}

		// A policy that allows overrides passes 1.1.0; one that needs a stricter threshold, RAI
		// fields, DP and another signer fails 1.0.0.
		yes := false
		rep, err = Audit(ctx, AuditConfig{Store: st, Keys: keys(t), Policy: Policy{AllowOverrides: true, RequirePrivacyPassed: &yes}})
		if err != nil || !get("chest/1.1.0").OK {
			t.Fatalf("lenient policy: %+v %v", get("chest/1.1.0"), err)
		}
		pol, err := ParsePolicy([]byte(`
allowed_key_hints: ["someone-else"]
required_checks: [{name: nn_ratio, min_threshold: 1.5}, {name: mia_auc}]
required_rai_fields: ["rai:dataCollection", "rai:noSuchField"]
max_epsilon: 5
`))
		if err != nil {
			t.Fatal(err)
		}
		rep, err = Audit(ctx, AuditConfig{Store: st, Keys: keys(t), Policy: pol})
		if err != nil {
			t.Fatal(err)
		}
		v := get("chest/1.0.0").Violations
		for _, want := range []string{"does not allow", "requires at least 1.5", "mia_auc missing", "rai:noSuchField", "DP ε 7.5 exceeds"} {
			if !containsAny(v, want) {
				t.Errorf("violation %q missing from %q", want, v)
			}
		}
		if containsAny(v, "rai:dataCollection") {
			t.Errorf("rai:dataCollection reported missing: %q", v)
		}
	})
}

func containsAny(list []string, sub string) bool {
	return slices.ContainsFunc(list, func(s string) bool { return strings.Contains(s, sub) })
}

func TestFetchTamperedLeavesNothing(t *testing.T) {
	ctx := context.Background()
	bucket := newBucket(t, false)
	st := openS3(t, srv(), bucket, "")
	if _, err := Publish(ctx, Config{Bundle: makeBundle(t, bundleOpts{n: 4}), Store: st, Keys: keys(t)}); err != nil {
		t.Fatal(err)
	}
	c := rawClient(t, srv())
	if _, err := c.PutObject(ctx, bucket, "chest/1.0.0/README.md", strings.NewReader("# edited"), 8, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	parent := t.TempDir()
	out := filepath.Join(parent, "out")
	_, err := Fetch(ctx, FetchConfig{Store: st, Ref: "chest/1.0.0", Out: out, Keys: keys(t)})
	if !errors.Is(err, manifest.ErrVerification) {
		t.Fatalf("want a verification failure, got %v", err)
	}
	if ents, _ := os.ReadDir(parent); len(ents) != 0 {
		t.Fatalf("left behind: %v", ents)
	}
	// Verifying in place reports the same.
	rel, err := OpenRelease(ctx, st, "chest")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := manifest.Verify(ctx, rel.Source(), manifest.VerifyOptions{Keys: keys(t)}); !errors.Is(err, manifest.ErrVerification) {
		t.Fatalf("verify in place: %v", err)
	}
}

func TestFetchInterruptedResumes(t *testing.T) {
	bucket := newBucket(t, false)
	st := openS3(t, srv(), bucket, "")
	bundle := makeBundle(t, bundleOpts{n: 30})
	if _, err := Publish(context.Background(), Config{Bundle: bundle, Store: st, Keys: keys(t)}); err != nil {
		t.Fatal(err)
	}
	parent := t.TempDir()
	out := filepath.Join(parent, "out")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := Fetch(ctx, FetchConfig{Store: st, Ref: "chest", Out: out, Keys: keys(t), Parallel: 2, Progress: &hookReporter{after: 15, fn: cancel}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("output folder exists after an interrupted fetch: %v", err)
	}
	res, err := Fetch(context.Background(), FetchConfig{Store: st, Ref: "chest", Out: out, Keys: keys(t), Parallel: 2})
	if err != nil {
		t.Fatal(err)
	}
	if res.Reused == 0 || res.Reused+res.Downloaded != res.Files {
		t.Fatalf("resume: %+v", res)
	}
	if ents, _ := os.ReadDir(parent); len(ents) != 1 {
		t.Fatalf("staging left: %v", ents)
	}
}

func TestFetchRefusesPayloadBeyondOxum(t *testing.T) {
	ctx := context.Background()
	bucket := newBucket(t, false)
	st := openS3(t, srv(), bucket, "")
	if _, err := Publish(ctx, Config{Bundle: makeBundle(t, bundleOpts{n: 2}), Store: st, Keys: keys(t)}); err != nil {
		t.Fatal(err)
	}
	// An extra large payload object appears in the release.
	big := strings.Repeat("x", 1<<20)
	if _, err := rawClient(t, srv()).PutObject(ctx, bucket, "chest/1.0.0/data/images/normal/huge.png", strings.NewReader(big), int64(len(big)), minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	parent := t.TempDir()
	_, err := Fetch(ctx, FetchConfig{Store: st, Ref: "chest", Out: filepath.Join(parent, "out"), Keys: keys(t)})
	if !errors.Is(err, manifest.ErrVerification) || !strings.Contains(err.Error(), "rule unexpected: 1 object(s) that no signed manifest lists, not downloaded: data/images/normal/huge.png") {
		t.Fatalf("want a refusal before the payload download, got %v", err)
	}
	if ents, _ := os.ReadDir(parent); len(ents) != 0 {
		t.Fatalf("left behind: %v", ents)
	}
}
