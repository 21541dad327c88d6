// Package bundletest makes the inputs of a release bundle for tests: small gray PNGs standing
// for the approved images, and the summaries the earlier stages write (privacy summary, GAN
// summaries, workspace description), shaped as the real stages write them; and a signing key.
// manifest's tests build real bundles from them with manifest.Build; publish's and cmd's through
// manifest/manifesttest.
// Test helper: imported only by tests; it imports nothing of this module, so manifest's own
// tests can use it too.
package bundletest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	crand "crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
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

// Now is the date the test bundles carry.
var Now = time.Date(2026, 11, 28, 1, 2, 3, 0, time.UTC)

// Classes are the two classes of a test release; image i is of class Classes[i%2].
var Classes = []string{"normal", "effusion"}

// WritePNG writes a size×size gray PNG of pseudo-random pixels from seed (different seeds give
// different images) and returns its hex sha256.
func WritePNG(t testing.TB, path string, size int, seed uint64) string {
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
	return SHA256(buf.Bytes())
}

// SHA256 is the hex sha256 of b.
func SHA256(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// Checkpoint is the checkpoint hash of the class's test generator.
func Checkpoint(class string) string { return SHA256([]byte("ckpt-" + class)) }

// Image is one image written by [Images].
type Image struct {
	ID, Class, PNG, SHA256 string
	Sample                 int64
}

// Images writes n PNGs of size pixels under dir/CLASS/ID.png, alternating [Classes], image i
// made from seed*1,000,003+i.
func Images(t testing.TB, dir string, n, size int, seed uint64) []Image {
	t.Helper()
	var out []Image
	for i := range n {
		class := Classes[i%2]
		id := fmt.Sprintf("s-%05d", i)
		p := filepath.Join(dir, class, id+".png")
		out = append(out, Image{ID: id, Class: class, PNG: p, SHA256: WritePNG(t, p, size, seed*1_000_003+uint64(i)), Sample: int64(i)})
	}
	return out
}

// PrivacySummary is a privacy summary of n approved images whose one check (nn_ratio, value
// 1.5, bound 1.3, threshold 1.2) passed or not, naming failed as the failed checks.
func PrivacySummary(passed bool, n int, failed ...string) []byte {
	if failed == nil {
		failed = []string{}
	}
	b, _ := json.Marshal(map[string]any{
		"passed": passed, "failed_checks": failed,
		"policy":    map[string]any{"nn_ratio_min": 1.2, "mia_auc_max": 0.6},
		"checks":    []any{map[string]any{"name": "nn_ratio", "class": "", "value": 1.5, "threshold": 1.2, "bound": 1.3, "passed": passed, "note": "test note"}},
		"counts":    map[string]any{"candidates": n + 2, "approved": n, "removed": 2, "per_class": map[string]int{}},
		"embedding": []string{"pixels"}, "filter": nil,
	})
	return b
}

// GANSummary is the training summary of the class's generator, whose checkpoint has the hash
// ckpt; with dp, trained with differential privacy (epsilon 7.5, delta 1e-5).
func GANSummary(class, ckpt string, dp bool) json.RawMessage {
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

// Workspace is the description of a workspace of [Classes] at size pixels.
func Workspace(size int, seed uint64) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"format":1,"image_size":%d,"classes":["normal","effusion"],"seed":%d}`, size, seed))
}

// KeyPEM is a new unencrypted P-256 private key in PKCS#8 PEM (no scrypt: tests stay fast).
func KeyPEM(t testing.TB) []byte {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), crand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}
