package publish

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/raysynth/raysynth/manifest"
	"github.com/raysynth/raysynth/publish/s3test"
)

// TestVerifyAt verifies what `raysynth verify` is given, each way it can be given: a bundle
// folder, a folder release by name (through LATEST) and by version, the same in a bucket, and a
// folder that is no bundle.
func TestVerifyAt(t *testing.T) {
	ctx := context.Background()
	bundle := makeBundle(t, bundleOpts{n: 4})
	root := filepath.Join(t.TempDir(), "releases")
	st, err := Open(ctx, root, S3Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Publish(ctx, Config{Bundle: bundle, Store: st, Keys: keys(t)}); err != nil {
		t.Fatal(err)
	}
	check := func(t *testing.T, ref string, s3 S3Config, wantHighest string) {
		t.Helper()
		vr, err := VerifyAt(ctx, ref, s3, keys(t))
		if err != nil || !vr.OK() {
			t.Fatalf("VerifyAt(%s): %v %+v", ref, err, vr)
		}
		if vr.Name != "chest" || vr.Version != "1.0.0" || vr.HighestSignedVersion != wantHighest {
			t.Errorf("VerifyAt(%s): %s %s, highest %q", ref, vr.Name, vr.Version, vr.HighestSignedVersion)
		}
	}
	t.Run("folder", func(t *testing.T) {
		check(t, bundle, S3Config{}, "")
		check(t, filepath.Join(root, "chest"), S3Config{}, "1.0.0") // through LATEST: rollback checked
		check(t, filepath.Join(root, "chest", "1.0.0"), S3Config{}, "")
		empty := t.TempDir()
		if vr, err := VerifyAt(ctx, empty, S3Config{}, keys(t)); vr != nil || !errors.Is(err, ErrNotBundle) {
			t.Errorf("a folder that is no bundle: %v %v", vr, err)
		}
	})
	t.Run("bucket", func(t *testing.T) {
		eachServer(t, func(t *testing.T, s *s3test.Server) {
			b := newBucketOn(t, s, false)
			bst, err := Open(ctx, "s3://"+b+"/rel", s3cfg(s, "", ""))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Publish(ctx, Config{Bundle: bundle, Store: bst, Keys: keys(t)}); err != nil {
				t.Fatal(err)
			}
			check(t, "s3://"+b+"/rel/chest", s3cfg(s, "", ""), "1.0.0")
			check(t, "s3://"+b+"/rel/chest/1.0.0", s3cfg(s, "", ""), "")
			if _, err := VerifyAt(ctx, "s3://"+b+"/rel/none", s3cfg(s, "", ""), keys(t)); !errors.Is(err, ErrNoRelease) {
				t.Errorf("no release: %v", err)
			}
		})
	})
	t.Run("bad URL", func(t *testing.T) {
		if _, err := OpenReleaseAt(ctx, "s3://B_/x", S3Config{}); !errors.Is(err, ErrBadURL) {
			t.Errorf("OpenReleaseAt: %v", err)
		}
		if _, err := Open(ctx, "s3://B_/x", S3Config{}); !errors.Is(err, ErrBadURL) {
			t.Errorf("Open: %v", err)
		}
	})
	t.Run("tampered", func(t *testing.T) {
		p := filepath.Join(root, "chest", "1.0.0", "data", "index.csv")
		if err := os.WriteFile(p, []byte("id\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		vr, err := VerifyAt(ctx, filepath.Join(root, "chest"), S3Config{}, keys(t))
		if vr == nil || vr.OK() || !errors.Is(err, manifest.ErrVerification) {
			t.Errorf("a tampered release verified: %v %v", vr, err)
		}
	})
}
