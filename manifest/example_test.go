package manifest_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"time"

	"github.com/raysynth/raysynth/manifest"
)

// exampleImages writes two tiny synthetic PNGs and returns them as approved images.
func exampleImages(dir string) []manifest.Image {
	var out []manifest.Image
	for i, class := range []string{"normal", "effusion"} {
		img := image.NewGray(image.Rect(0, 0, 8, 8))
		img.Pix[0] = uint8(i)
		p := filepath.Join(dir, class+".png")
		f, _ := os.Create(p)
		png.Encode(f, img)
		f.Close()
		data, _ := os.ReadFile(p)
		sum := sha256.Sum256(data)
		out = append(out, manifest.Image{ID: fmt.Sprintf("s-%d", i), Class: class, PNG: p, SHA256: hex.EncodeToString(sum[:]),
			Generator: "ab12", Seed: 7, Sample: int64(i)})
	}
	return out
}

// Build a signed bundle, then verify it with the public key.
func ExampleBuild() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	ctx := context.Background()

	keyPath, pubPath, err := manifest.WriteKeyPair(filepath.Join(dir, "hospital"), []byte("example password"))
	if err != nil {
		fmt.Println(err)
		return
	}
	signer, err := manifest.LoadSigner(ctx, keyPath, func() ([]byte, error) { return []byte("example password"), nil })
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := manifest.Build(ctx, manifest.BuildConfig{
		Name: "chest-demo", Version: "1.0.0", License: "CC-BY-4.0", Organization: "Example Hospital",
		Out: filepath.Join(dir, "chest-demo-1.0.0"), Signer: signer,
		Images: exampleImages(dir), ImageSize: 8,
		PrivacySummary: []byte(`{"passed":true,"failed_checks":[],"policy":{}}`),
		Tool:           "raysynth", ToolVersion: "1.0.0",
		Now: time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("built", res.Name, res.Version, "with", res.Images, "images")

	pub, _ := manifest.LoadPublicKey(ctx, pubPath)
	v, err := manifest.Verify(ctx, manifest.DirSource(res.Dir), manifest.VerifyOptions{Keys: []*manifest.PublicKey{pub}})
	fmt.Println("verified:", err == nil, v.ImagesPerClass, "privacy passed:", v.PrivacyPassed)
	// Output:
	// built chest-demo 1.0.0 with 2 images
	// verified: true map[effusion:1 normal:1] privacy passed: true
}

// A bundle whose privacy gate failed is refused unless an override reason is given.
func ExampleBuild_privacyGate() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	privPEM, _, _ := manifest.GenerateKeyPair([]byte("pw"))
	signer, _ := manifest.ParsePrivateKeyPEM("key", privPEM, func() ([]byte, error) { return []byte("pw"), nil })
	cfg := manifest.BuildConfig{
		Name: "chest-demo", Version: "1.0.0", License: "CC-BY-4.0",
		Out: filepath.Join(dir, "out"), Signer: signer, Images: exampleImages(dir), ImageSize: 8,
		PrivacySummary: []byte(`{"passed":false,"failed_checks":["mia_auc"]}`),
	}
	_, err := manifest.Build(context.Background(), cfg)
	var ge *manifest.GateError
	fmt.Println(errors.Is(err, manifest.ErrPrivacyGate), errors.As(err, &ge) && ge.FailedChecks[0] == "mia_auc")

	cfg.OverridePrivacyGate = "approved by the ethics board for internal benchmarking"
	res, err := manifest.Build(context.Background(), cfg)
	fmt.Println(err == nil, res.Overrides[0].Reason)
	// Output:
	// true true
	// true approved by the ethics board for internal benchmarking
}

// Verify reports every problem with the file and its kind.
func ExampleVerify() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	ctx := context.Background()
	privPEM, pubPEM, _ := manifest.GenerateKeyPair([]byte("pw"))
	signer, _ := manifest.ParsePrivateKeyPEM("key", privPEM, func() ([]byte, error) { return []byte("pw"), nil })
	pub, _ := manifest.ParsePublicKeyPEM("key.pub", pubPEM)
	out := filepath.Join(dir, "out")
	manifest.Build(ctx, manifest.BuildConfig{Name: "demo", Version: "0.1.0", License: "CC0-1.0", Out: out, Signer: signer,
		Images: exampleImages(dir), ImageSize: 8, PrivacySummary: []byte(`{"passed":true}`)})

	os.WriteFile(filepath.Join(out, "data", "images", "normal", "s-0.png"), []byte("tampered"), 0o644)
	os.WriteFile(filepath.Join(out, "extra.txt"), []byte("x"), 0o644)

	res, err := manifest.Verify(ctx, manifest.DirSource(out), manifest.VerifyOptions{Keys: []*manifest.PublicKey{pub}})
	fmt.Println(errors.Is(err, manifest.ErrVerification))
	for _, p := range res.Problems {
		fmt.Println(p.File, p.Kind)
	}
	// Output:
	// true
	// bag-info.txt payload-oxum
	// data/images/normal/s-0.png hash-mismatch
	// extra.txt unexpected
}

// PublishOrder gives the upload phases: payload, tag files, tag manifest, signatures.
func ExamplePublishOrder() {
	files := []manifest.FileInfo{
		{Name: "provenance.sigstore.json"}, {Name: "tagmanifest-sha256.txt"}, {Name: "croissant.json"},
		{Name: "data/images/normal/s-0.png"}, {Name: "tagmanifest-sha256.txt.sigstore.json"}, {Name: "data/index.csv"},
	}
	for i, phase := range manifest.PublishOrder(files) {
		var names []string
		for _, f := range phase {
			names = append(names, f.Name)
		}
		fmt.Println(i, names)
	}
	// Output:
	// 0 [data/images/normal/s-0.png data/index.csv]
	// 1 [croissant.json]
	// 2 [tagmanifest-sha256.txt]
	// 3 [provenance.sigstore.json tagmanifest-sha256.txt.sigstore.json]
}

// ParseManifest reads manifest-sha256.txt, the format sha256sum -c also reads.
func ExampleParseManifest() {
	entries, err := manifest.ParseManifest([]byte(
		"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824  data/index.csv\n"))
	fmt.Println(err, entries[0].Path)
	b, _ := json.Marshal(entries[0])
	fmt.Println(len(b) > 0)
	// Output:
	// <nil> data/index.csv
	// true
}
