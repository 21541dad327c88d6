package manifest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
)

// sigstoreGoVerify verifies a bundle file with sigstore-go, offline, with the key as trusted
// public-key material and no transparency log or observer timestamps (what cosign does with
// --insecure-ignore-tlog=true).
func sigstoreGoVerify(t *testing.T, key *PublicKey, bundlePath string, artifact []byte) error {
	t.Helper()
	b, err := bundle.LoadJSONFromPath(bundlePath)
	if err != nil {
		return err
	}
	tm := root.NewTrustedPublicKeyMaterial(func(hint string) (root.TimeConstrainedVerifier, error) {
		return root.NewExpiringKey(key.ver, timeZero, timeZero), nil
	})
	v, err := verify.NewVerifier(tm, verify.WithNoObserverTimestamps())
	if err != nil {
		return err
	}
	_, err = v.Verify(b, verify.NewPolicy(verify.WithArtifact(bytes.NewReader(artifact)), verify.WithKey()))
	return err
}

func TestSigstoreGoVerifiesBundles(t *testing.T) {
	dir, s := buildBundle(t, 2)
	tm, _ := os.ReadFile(filepath.Join(dir, FileTagManifest))
	if err := sigstoreGoVerify(t, s.Public(), filepath.Join(dir, FileTagManifestSig), tm); err != nil {
		t.Fatalf("sigstore-go rejects %s: %v", FileTagManifestSig, err)
	}
	// The attestation's subjects include tagmanifest-sha256.txt, manifest-sha256.txt, croissant.json.
	for _, f := range []string{FileTagManifest, FileManifest, FileCroissant} {
		data, _ := os.ReadFile(filepath.Join(dir, f))
		if err := sigstoreGoVerify(t, s.Public(), filepath.Join(dir, FileProvenanceSig), data); err != nil {
			t.Errorf("sigstore-go rejects %s for subject %s: %v", FileProvenanceSig, f, err)
		}
	}
	t.Run("tampered artifact is rejected", func(t *testing.T) {
		if err := sigstoreGoVerify(t, s.Public(), filepath.Join(dir, FileTagManifestSig), append(tm, 'x')); err == nil {
			t.Fatal("sigstore-go accepted a changed tagmanifest")
		}
		if err := sigstoreGoVerify(t, s.Public(), filepath.Join(dir, FileProvenanceSig), []byte("not a subject")); err == nil {
			t.Fatal("sigstore-go accepted an artifact that is not a subject")
		}
	})
	t.Run("another key is rejected", func(t *testing.T) {
		if err := sigstoreGoVerify(t, testSigner(t).Public(), filepath.Join(dir, FileTagManifestSig), tm); err == nil {
			t.Fatal("sigstore-go accepted another key")
		}
	})
	t.Run("our parser agrees on the digest", func(t *testing.T) {
		data, _ := os.ReadFile(filepath.Join(dir, FileTagManifestSig))
		pb, err := parseSigBundle(data)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(tm)
		if !bytes.Equal(pb.Digest, sum[:]) || pb.Hint != s.Public().Hint() {
			t.Fatal("digest or hint differ")
		}
	})
	_ = context.Background
}

var timeZero = zeroTime()
