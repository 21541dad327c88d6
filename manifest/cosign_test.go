package manifest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// emptyTrustedRoot is a Sigstore trusted root with no authorities. cosign v2 insists on a trusted
// root for v0.3 bundles even with --key and --insecure-ignore-tlog=true; offline it cannot fetch
// the public-good one from TUF, and this empty one makes it rely on the key alone.
const emptyTrustedRoot = `{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}` + "\n"

// TestCosignInterop runs the real cosign when it is on PATH (it cannot be installed from the
// registries reachable in CI, so the test is optional): cosign verifies our bundles offline,
// rejects a tampered one, our tool signs with a cosign-made key, and cosign signs with ours.
func TestCosignInterop(t *testing.T) {
	cosign, err := exec.LookPath("cosign")
	if err != nil {
		t.Skip("cosign not on PATH; install it (go install github.com/sigstore/cosign/v2/cmd/cosign@v2.6.5) to run this interop test")
	}
	dir := t.TempDir()
	root := filepath.Join(dir, "trusted_root.json")
	os.WriteFile(root, []byte(emptyTrustedRoot), 0o644)
	run := func(wd string, args ...string) error {
		cmd := exec.Command(cosign, args...)
		cmd.Dir = wd
		cmd.Env = append(os.Environ(), "COSIGN_PASSWORD=interop-pw")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Logf("cosign %v:\n%s", args, out)
		}
		return err
	}
	verifyBoth := func(bundleDir, pub string) error {
		if err := run(bundleDir, "verify-blob", "--key", pub, "--bundle", FileTagManifestSig, "--insecure-ignore-tlog=true", "--trusted-root", root, FileTagManifest); err != nil {
			return err
		}
		return run(bundleDir, "verify-blob-attestation", "--key", pub, "--bundle", FileProvenanceSig, "--type", "slsaprovenance1",
			"--insecure-ignore-tlog=true", "--trusted-root", root, FileTagManifest)
	}
	ctx := context.Background()
	pw := func() ([]byte, error) { return []byte("interop-pw"), nil }

	t.Run("cosign verifies our bundle", func(t *testing.T) {
		keyPath, pubPath, err := WriteKeyPair(filepath.Join(dir, "ours"), []byte("interop-pw"))
		if err != nil {
			t.Fatal(err)
		}
		s, err := LoadSigner(ctx, keyPath, pw)
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), "b")
		if _, err := Build(ctx, newFixture(t, 2).config(s, out)); err != nil {
			t.Fatal(err)
		}
		if err := verifyBoth(out, pubPath); err != nil {
			t.Fatalf("cosign rejects our bundle: %v", err)
		}
		tm := filepath.Join(out, FileTagManifest)
		data, _ := os.ReadFile(tm)
		os.WriteFile(tm, append(data, '\n'), 0o644)
		if run(out, "verify-blob", "--key", pubPath, "--bundle", FileTagManifestSig, "--insecure-ignore-tlog=true", "--trusted-root", root, FileTagManifest) == nil {
			t.Fatal("cosign accepted a tampered tagmanifest")
		}
		// cosign signs a blob with our key; our parser and key verify its bundle.
		blob := filepath.Join(dir, "blob.txt")
		os.WriteFile(blob, []byte("hello\n"), 0o644)
		sb := filepath.Join(dir, "blob.sigstore.json")
		if err := run(dir, "sign-blob", "--key", keyPath, "--tlog-upload=false", "--new-bundle-format", "--bundle", sb, blob); err != nil {
			t.Fatal(err)
		}
		raw, _ := os.ReadFile(sb)
		b, err := parseSigBundle(raw)
		if err != nil {
			t.Fatal(err)
		}
		if b.Hint != s.Public().Hint() {
			t.Errorf("cosign's hint %q, ours %q", b.Hint, s.Public().Hint())
		}
		if err := s.Public().ver.VerifySignature(bytes.NewReader(b.Signature), bytes.NewReader([]byte("hello\n"))); err != nil {
			t.Errorf("cosign's signature does not verify with our key: %v", err)
		}
	})
	t.Run("our tool signs with a cosign key", func(t *testing.T) {
		kd := t.TempDir()
		if err := run(kd, "generate-key-pair", "--output-key-prefix", "cosign"); err != nil {
			t.Fatal(err)
		}
		s, err := LoadSigner(ctx, filepath.Join(kd, "cosign.key"), pw)
		if err != nil {
			t.Fatal(err)
		}
		pub, err := LoadPublicKey(ctx, filepath.Join(kd, "cosign.pub"))
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), "b")
		if _, err := Build(ctx, newFixture(t, 2).config(s, out)); err != nil {
			t.Fatal(err)
		}
		if res, err := Verify(ctx, DirSource(out), VerifyOptions{Keys: []*PublicKey{pub}}); err != nil {
			t.Fatalf("%v %v", err, res.Problems)
		}
		if err := verifyBoth(out, filepath.Join(kd, "cosign.pub")); err != nil {
			t.Fatalf("cosign rejects a bundle signed with its own key: %v", err)
		}
	})
}

// TestDocsGiveStandardToolCommands keeps docs/bundles.md's standard-tool block the commands
// TestCosignInterop runs (with the docs' key file, hospital.pub).
func TestDocsGiveStandardToolCommands(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "docs", "bundles.md"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	for _, c := range StandardToolCommands("hospital.pub") {
		if !slices.Contains(lines, c) {
			t.Errorf("docs/bundles.md lacks the line\n%s", c)
		}
	}
}
