package publish

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/raysynth/raysynth/manifest"
)

// The attacks below are made by someone with write access to the bucket, through the S3 API of a
// real MinIO server: no signing key, only copies, moves and edits of objects.

// copyRelease copies every object under from/ to to/ (as an attacker with bucket write access
// would, with the S3 API).
func copyRelease(t *testing.T, bucket, from, to string) {
	t.Helper()
	ctx := context.Background()
	c := rawClient(t, srv())
	for o := range c.ListObjects(ctx, bucket, minio.ListObjectsOptions{Prefix: from + "/", Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		src := minio.CopySrcOptions{Bucket: bucket, Object: o.Key}
		dst := minio.CopyDestOptions{Bucket: bucket, Object: to + strings.TrimPrefix(o.Key, from)}
		if _, err := c.CopyObject(ctx, dst, src); err != nil {
			t.Fatal(err)
		}
	}
}

func putObject(t *testing.T, bucket, key string, body []byte) {
	t.Helper()
	if _, err := rawClient(t, srv()).PutObject(context.Background(), bucket, key, bytes.NewReader(body), int64(len(body)), minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
}

func tagSHA(t *testing.T, st Store, dir string) string {
	t.Helper()
	rc, err := st.Get(context.Background(), dir+"/"+manifest.FileTagManifest)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	data, _ := io.ReadAll(rc)
	return sha256Hex(data)
}

func hasKind(vr *manifest.VerifyResult, kind string) bool {
	for _, p := range vr.Problems {
		if p.Kind == kind {
			return true
		}
	}
	return false
}

// Release 0.1.0's signed files copied under 0.2.0 (and under another name) with LATEST pointed
// at them: verify, fetch and audit all fail, naming the rule.
func TestCopiedReleaseFailsNameVersionBinding(t *testing.T) {
	ctx := context.Background()
	bucket := newBucket(t, false)
	st := openS3(t, srv(), bucket, "")
	if _, err := Publish(ctx, Config{Bundle: makeBundle(t, bundleOpts{n: 2, version: "0.1.0"}), Store: st, Keys: keys(t)}); err != nil {
		t.Fatal(err)
	}
	copyRelease(t, bucket, "chest/0.1.0", "chest/0.2.0")
	copyRelease(t, bucket, "chest/0.1.0", "othername/5.0.0")
	sum := tagSHA(t, st, "chest/0.1.0")
	putObject(t, bucket, "chest/LATEST", Pointer{Name: "chest", Version: "0.2.0", TagManifestSHA256: sum}.encode())
	putObject(t, bucket, "othername/LATEST", Pointer{Name: "othername", Version: "5.0.0", TagManifestSHA256: sum}.encode())

	for _, ref := range []string{"chest", "chest/0.2.0", "othername", "othername/5.0.0"} {
		t.Run(ref, func(t *testing.T) {
			rel, err := OpenRelease(ctx, st, ref)
			if err != nil {
				t.Fatal(err)
			}
			vr, err := VerifyRelease(ctx, rel, keys(t))
			if !errors.Is(err, manifest.ErrVerification) || !hasKind(vr, manifest.KindBinding) {
				t.Fatalf("verify: %v %v", err, vr.Problems)
			}
			out := filepath.Join(t.TempDir(), "out")
			_, err = Fetch(ctx, FetchConfig{Release: rel, Out: out, Keys: keys(t)})
			if !errors.Is(err, manifest.ErrVerification) || !strings.Contains(err.Error(), "name-version") {
				t.Fatalf("fetch: %v", err)
			}
			if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("fetch left %s", out)
			}
		})
	}
	rep, err := Audit(ctx, AuditConfig{Store: st, Keys: keys(t)})
	if err != nil || rep.OK {
		t.Fatalf("audit: %+v %v", rep, err)
	}
	for _, r := range rep.Releases {
		if (r.Dir == "chest/0.1.0") != r.OK || (r.Dir != "chest/0.1.0" && !containsAny(r.Problems, "name-version")) {
			t.Fatalf("audit of %s: %+v", r.Dir, r)
		}
	}
	// The genuine version still verifies by its own path.
	rel, _ := OpenRelease(ctx, st, "chest/0.1.0")
	if _, err := VerifyRelease(ctx, rel, keys(t)); err != nil {
		t.Fatal(err)
	}
}

// A LATEST moved back to an older (genuine, signed) version fails verify and fetch of the name
// and is an audit finding; verify reports the highest signed version.
func TestLatestRollbackDetected(t *testing.T) {
	ctx := context.Background()
	bucket := newBucket(t, false)
	st := openS3(t, srv(), bucket, "")
	for _, v := range []string{"0.1.0", "0.2.0"} {
		if _, err := Publish(ctx, Config{Bundle: makeBundle(t, bundleOpts{n: 2, version: v, seed: uint64(len(v))}), Store: st, Keys: keys(t)}); err != nil {
			t.Fatal(err)
		}
	}
	rel, _ := OpenRelease(ctx, st, "chest")
	vr, err := VerifyRelease(ctx, rel, keys(t))
	if err != nil || vr.HighestSignedVersion != "0.2.0" {
		t.Fatalf("before: %v %+v", err, vr)
	}
	putObject(t, bucket, "chest/LATEST", Pointer{Name: "chest", Version: "0.1.0", TagManifestSHA256: tagSHA(t, st, "chest/0.1.0")}.encode())

	rel, err = OpenRelease(ctx, st, "chest")
	if err != nil || rel.Version != "0.1.0" {
		t.Fatal(rel, err)
	}
	vr, err = VerifyRelease(ctx, rel, keys(t))
	if !errors.Is(err, manifest.ErrVerification) || len(vr.Problems) != 1 || !hasKind(vr, manifest.KindRollback) || vr.HighestSignedVersion != "0.2.0" {
		t.Fatalf("verify after rollback: %v %+v", err, vr)
	}
	_, err = Fetch(ctx, FetchConfig{Release: rel, Out: filepath.Join(t.TempDir(), "out"), Keys: keys(t)})
	if !errors.Is(err, manifest.ErrVerification) || !strings.Contains(err.Error(), "rule rollback") {
		t.Fatalf("fetch: %v", err)
	}
	rep, err := Audit(ctx, AuditConfig{Store: st, Keys: keys(t)})
	if err != nil || rep.OK || !containsAny(rep.Findings, "rollback") {
		t.Fatalf("audit: %+v %v", rep.Findings, err)
	}
	// A higher version that is not signed by the key does not count.
	other := newSigner(t)
	if _, err := Publish(ctx, Config{Bundle: makeBundle(t, bundleOpts{n: 2, version: "0.3.0", signer: other}), Store: st,
		Keys: []*manifest.PublicKey{other.Public()}}); err != nil {
		t.Fatal(err)
	}
	if hi, err := HighestSigned(ctx, st, "chest", keys(t)); err != nil || hi.Version != "0.2.0" {
		t.Fatalf("highest signed: %+v %v", hi, err)
	}
}

// A LATEST whose own name is another release's, a LATEST that does not parse, a version folder
// without bagit.txt and an unsafe key are verification failures naming the rule.
func TestForgedPointersAndIncompleteReleases(t *testing.T) {
	ctx := context.Background()
	bucket := newBucket(t, false)
	st := openS3(t, srv(), bucket, "")
	if _, err := Publish(ctx, Config{Bundle: makeBundle(t, bundleOpts{n: 2}), Store: st, Keys: keys(t)}); err != nil {
		t.Fatal(err)
	}
	copyRelease(t, bucket, "chest/1.0.0", "lung/1.0.0")
	putObject(t, bucket, "lung/LATEST", Pointer{Name: "chest", Version: "1.0.0", TagManifestSHA256: tagSHA(t, st, "chest/1.0.0")}.encode())
	putObject(t, bucket, "bad/LATEST", []byte("{not json"))
	putObject(t, bucket, "half/1.0.0/data/images/normal/s-00000.png", []byte("payload only"))
	for ref, rule := range map[string]string{"lung": "latest-name", "bad": "latest-pointer", "half/1.0.0": "complete-release"} {
		_, err := OpenRelease(ctx, st, ref)
		if !errors.Is(err, manifest.ErrVerification) || !strings.Contains(err.Error(), "rule "+rule) {
			t.Errorf("%s: want rule %s, got %v", ref, rule, err)
		}
	}
	putObject(t, bucket, "chest/1.0.0/.tmp-x/evil", []byte("x"))
	_, err := Fetch(ctx, FetchConfig{Store: st, Ref: "chest/1.0.0", Out: filepath.Join(t.TempDir(), "out"), Keys: keys(t)})
	if !errors.Is(err, manifest.ErrVerification) || !errors.Is(err, ErrUnsafeKey) {
		t.Fatalf("unsafe key: %v", err)
	}
}

// An audit policy's allowed keys apply to the provenance signature too.
func TestAuditPolicyChecksEverySigner(t *testing.T) {
	ctx := context.Background()
	bucket := newBucket(t, false)
	st := openS3(t, srv(), bucket, "")
	a, b := signer(t), newSigner(t)
	byA := makeBundle(t, bundleOpts{n: 2, signer: a})
	byB := makeBundle(t, bundleOpts{n: 2, signer: b})
	// The same content signed by B: B's provenance signature covers A's provenance.json too.
	data, err := os.ReadFile(filepath.Join(byB, manifest.FileProvenanceSig))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(byA, manifest.FileProvenanceSig), data, 0o644); err != nil {
		t.Fatal(err)
	}
	both := []*manifest.PublicKey{a.Public(), b.Public()}
	if _, err := Publish(ctx, Config{Bundle: byA, Store: st, Keys: both}); err != nil {
		t.Fatal(err)
	}
	rep, err := Audit(ctx, AuditConfig{Store: st, Keys: both, Policy: Policy{AllowedKeyHints: []string{a.Public().Hint()}}})
	if err != nil || rep.OK || len(rep.Releases) != 1 || !containsAny(rep.Releases[0].Violations, "provenance.json is signed by key "+b.Public().Hint()) {
		t.Fatalf("audit: %+v %v", rep, err)
	}
	if s := rep.Releases[0].Signers; s[manifest.FileTagManifest] != a.Public().Hint() || s[manifest.FileProvenance] != b.Public().Hint() {
		t.Fatalf("signers %v", s)
	}
}

// countingStore records which objects were read (a decorator over the real S3 store).
type countingStore struct {
	Store
	mu   sync.Mutex
	gets []string
}

func (c *countingStore) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	c.mu.Lock()
	c.gets = append(c.gets, key)
	c.mu.Unlock()
	return c.Store.Get(ctx, key)
}

// fetch downloads only what the signed manifests list, the signature first: junk objects are
// reported and never downloaded, and a bad signature stops it after two small files.
func TestFetchDownloadsOnlySignedFiles(t *testing.T) {
	ctx := context.Background()
	bucket := newBucket(t, false)
	st := openS3(t, srv(), bucket, "")
	if _, err := Publish(ctx, Config{Bundle: makeBundle(t, bundleOpts{n: 4}), Store: st, Keys: keys(t)}); err != nil {
		t.Fatal(err)
	}
	junk := bytes.Repeat([]byte("j"), 2<<20)
	for _, k := range []string{"junk1.bin", "junk2.bin", "data/junk3.bin"} {
		putObject(t, bucket, "chest/1.0.0/"+k, junk)
	}
	cs := &countingStore{Store: st}
	parent := t.TempDir()
	res, err := Fetch(ctx, FetchConfig{Store: cs, Ref: "chest/1.0.0", Out: filepath.Join(parent, "out"), Keys: keys(t)})
	if !errors.Is(err, manifest.ErrVerification) || !strings.Contains(err.Error(), "rule unexpected: 3 object(s)") || res == nil || len(res.NotDownloaded) != 3 {
		t.Fatalf("fetch: %v %+v", err, res)
	}
	for _, k := range cs.gets {
		if strings.Contains(k, "junk") || strings.Contains(k, "data/") {
			t.Fatalf("downloaded %s", k)
		}
	}
	if ents, _ := os.ReadDir(parent); len(ents) != 0 {
		t.Fatalf("left behind: %v", ents)
	}
	// Signed by another key: only the tag manifest and its signature are read.
	cs.gets = nil
	_, err = Fetch(ctx, FetchConfig{Store: cs, Ref: "chest/1.0.0", Out: filepath.Join(parent, "out"), Keys: []*manifest.PublicKey{newSigner(t).Public()}})
	if !errors.Is(err, manifest.ErrVerification) || !strings.Contains(err.Error(), "rule signature") {
		t.Fatalf("fetch with another key: %v", err)
	}
	if len(cs.gets) != 2 {
		t.Fatalf("read %v before the signature failed", cs.gets)
	}
	// A tag file over the cap is not downloaded.
	big := bytes.Repeat([]byte("x"), maxTagFile+1)
	putObject(t, bucket, "chest/1.0.0/"+manifest.FileCroissant, big)
	cs.gets = nil
	_, err = Fetch(ctx, FetchConfig{Store: cs, Ref: "chest/1.0.0", Out: filepath.Join(parent, "out"), Keys: keys(t)})
	if !errors.Is(err, manifest.ErrVerification) || !strings.Contains(err.Error(), "rule size-cap") || len(cs.gets) != 2 {
		t.Fatalf("fetch with a huge tag file: %v (read %v)", err, cs.gets)
	}
}
