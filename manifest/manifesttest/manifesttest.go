// Package manifesttest builds real signed bundles for the tests of the packages that move and
// check them (publish, cmd): [manifest.Build] over internal/bundletest's images and summaries.
// Test helper: imported only by tests. manifest's own tests cannot import it (it imports
// manifest) and build theirs from internal/bundletest directly.
package manifesttest

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/raysynth/raysynth/internal/bundletest"
	"github.com/raysynth/raysynth/manifest"
)

// Options describe a test release. Zero values take the defaults named.
type Options struct {
	Name     string // default "chest"
	Version  string // default "1.0.0"
	N        int    // approved images, alternating bundletest.Classes
	Size     int    // pixels, default 16
	Seed     uint64 // of the images, recorded as their generator seed and in workspace.json
	Override string // the privacy gate failed (nn_ratio) and the release overrides it for this reason
	DP       bool   // the generators were trained with differential privacy
	Signer   *manifest.Signer
}

// Build builds the release o describes into a new folder NAME-VERSION under a test temporary
// folder and returns the folder.
func Build(t testing.TB, o Options) string {
	t.Helper()
	if o.Name == "" {
		o.Name = "chest"
	}
	if o.Version == "" {
		o.Version = "1.0.0"
	}
	if o.Size == 0 {
		o.Size = 16
	}
	if o.Signer == nil {
		t.Fatal("manifesttest.Build: no signer")
	}
	var imgs []manifest.Image
	for _, im := range bundletest.Images(t, filepath.Join(t.TempDir(), "approved"), o.N, o.Size, o.Seed) {
		imgs = append(imgs, manifest.Image{ID: im.ID, Class: im.Class, PNG: im.PNG, SHA256: im.SHA256,
			Generator: bundletest.Checkpoint(im.Class), Seed: o.Seed, Sample: im.Sample})
	}
	var failed []string
	if o.Override != "" {
		failed = []string{"nn_ratio"}
	}
	var gens []json.RawMessage
	for _, c := range bundletest.Classes {
		gens = append(gens, bundletest.GANSummary(c, bundletest.Checkpoint(c), o.DP))
	}
	out := filepath.Join(t.TempDir(), o.Name+"-"+o.Version)
	_, err := manifest.Build(context.Background(), manifest.BuildConfig{
		Name: o.Name, Version: o.Version, License: "CC-BY-4.0", Organization: "Test Hospital",
		Out: out, Signer: o.Signer, Images: imgs, ImageSize: o.Size,
		Workspace:           bundletest.Workspace(o.Size, o.Seed),
		PrivacySummary:      bundletest.PrivacySummary(o.Override == "", o.N, failed...),
		Generators:          gens,
		OverridePrivacyGate: o.Override,
		Tool:                "raysynth", ToolVersion: "test", Now: bundletest.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
