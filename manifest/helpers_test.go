package manifest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	crand "crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/raysynth/raysynth/internal/bundletest"
)

// testSigner makes an in-memory P-256 signer (no scrypt, so tests stay fast).
func testSigner(t testing.TB) *Signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), crand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := signerFromPrivate("test.key", k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const testCheckpointSHA = "1111111111111111111111111111111111111111111111111111111111111111"
const testCheckpointSHA2 = "2222222222222222222222222222222222222222222222222222222222222222"

// fixture is a tiny approved set: n images over two classes, 16x16.
type fixture struct {
	dir    string
	images []Image
}

func newFixture(t testing.TB, n int) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{dir: dir}
	for i := range n {
		class := "normal"
		ckpt := testCheckpointSHA
		if i%2 == 1 {
			class, ckpt = "effusion", testCheckpointSHA2
		}
		id := fmt.Sprintf("s-%05d", i)
		p := filepath.Join(dir, "approved", "images", class, id+".png")
		sum := bundletest.WritePNG(t, p, 16, uint64(i))
		f.images = append(f.images, Image{ID: id, Class: class, PNG: p, SHA256: sum, Generator: ckpt, Seed: 42, Sample: int64(i)})
	}
	return f
}

func (f *fixture) config(s *Signer, out string) BuildConfig {
	return BuildConfig{
		Name: "chest-test", Version: "1.0.0", License: "CC-BY-4.0", Organization: "Test Hospital",
		Out: out, Signer: s, Images: f.images, ImageSize: 16,
		Workspace:      bundletest.Workspace(16, 42),
		PrivacySummary: bundletest.PrivacySummary(true, 6),
		Generators:     []json.RawMessage{bundletest.GANSummary("normal", testCheckpointSHA, true), bundletest.GANSummary("effusion", testCheckpointSHA2, false)},
		Tool:           "raysynth", ToolVersion: "test",
		Now: bundletest.Now,
	}
}

// buildBundle builds a fresh bundle of n images and returns its folder and signer.
func buildBundle(t testing.TB, n int) (string, *Signer) {
	t.Helper()
	s := testSigner(t)
	f := newFixture(t, n)
	out := filepath.Join(t.TempDir(), "bundle")
	if _, err := Build(context.Background(), f.config(s, out)); err != nil {
		t.Fatal(err)
	}
	return out, s
}

// copyTree copies a bundle folder so a test can tamper with it.
func copyTree(t testing.TB, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "copy")
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func hasProblem(res *VerifyResult, file, kind string) bool {
	for _, p := range res.Problems {
		if p.File == file && p.Kind == kind {
			return true
		}
	}
	return false
}

func zeroTime() time.Time { return time.Time{} }
