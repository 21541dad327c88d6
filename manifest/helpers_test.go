package manifest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"
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

// writePNG writes a small gray PNG with deterministic pseudo-random pixels.
func writePNG(t testing.TB, path string, size int, seed uint64) string {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 7))
	img := image.NewGray(image.Rect(0, 0, size, size))
	for i := range img.Pix {
		img.Pix[i] = uint8(r.IntN(256))
	}
	img.SetGray(0, 0, color.Gray{Y: uint8(seed)})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return hex.EncodeToString(sum[:])
}

const testCheckpointSHA = "1111111111111111111111111111111111111111111111111111111111111111"
const testCheckpointSHA2 = "2222222222222222222222222222222222222222222222222222222222222222"

func privacyJSON(passed bool, failed ...string) []byte {
	if failed == nil {
		failed = []string{}
	}
	b, _ := json.Marshal(map[string]any{
		"passed": passed, "failed_checks": failed,
		"policy":    map[string]any{"nn_ratio_min": 1.2, "mia_auc_max": 0.6},
		"checks":    []any{map[string]any{"name": "nn_ratio", "class": "", "value": 1.5, "threshold": 1.2, "passed": passed}},
		"counts":    map[string]any{"candidates": 10, "approved": 6, "removed": 4, "per_class": map[string]int{"normal": 3, "effusion": 3}},
		"embedding": []string{"pixels"}, "filter": nil,
	})
	return b
}

func ganJSON(class, ckpt string, dp bool) json.RawMessage {
	m := map[string]any{"class": class, "size": 16, "epochs": 2, "batch": 4, "lr": 0.0002, "beta1": 0.5, "seed": 42,
		"code_version": "test", "train_fingerprint": "abababababababababababababababababababababababababababababababab",
		"train_images": 20, "train_patients": 10, "checkpoint": "gen-000002.ckpt", "checkpoint_sha256": ckpt,
		"finished": "2026-11-28T00:00:00Z", "dp": nil}
	if dp {
		m["dp"] = map[string]any{"epsilon": 7.5, "delta": 1e-5, "noise_multiplier": 1.1, "sampling_rate": 0.1, "clip": 1.0,
			"steps": 100, "accountant": "rdp/1", "unit": "patient"}
	}
	b, _ := json.Marshal(m)
	return b
}

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
		sum := writePNG(t, p, 16, uint64(i))
		f.images = append(f.images, Image{ID: id, Class: class, PNG: p, SHA256: sum, Generator: ckpt, Seed: 42, Sample: int64(i)})
	}
	return f
}

func (f *fixture) config(s *Signer, out string) BuildConfig {
	return BuildConfig{
		Name: "chest-test", Version: "1.0.0", License: "CC-BY-4.0", Organization: "Test Hospital",
		Out: out, Signer: s, Images: f.images, ImageSize: 16,
		Workspace:      json.RawMessage(`{"format":1,"image_size":16,"classes":["normal","effusion"],"seed":42}`),
		PrivacySummary: privacyJSON(true),
		Generators:     []json.RawMessage{ganJSON("normal", testCheckpointSHA, true), ganJSON("effusion", testCheckpointSHA2, false)},
		Tool:           "raysynth", ToolVersion: "test",
		Now: time.Date(2026, 11, 28, 1, 2, 3, 0, time.UTC),
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

func sha256hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
