package manifest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/raysynth/raysynth/internal/bundletest"
)

func TestGateRefusal(t *testing.T) {
	s := testSigner(t)
	f := newFixture(t, 2)
	parent := t.TempDir()
	out := filepath.Join(parent, "b")
	cfg := f.config(s, out)
	cfg.PrivacySummary = bundletest.PrivacySummary(false, 6, "nn_ratio/normal", "mia_auc")
	_, err := Build(context.Background(), cfg)
	var ge *GateError
	if !errors.Is(err, ErrPrivacyGate) || !errors.As(err, &ge) {
		t.Fatalf("err %v, want ErrPrivacyGate", err)
	}
	if strings.Join(ge.FailedChecks, ",") != "nn_ratio/normal,mia_auc" {
		t.Errorf("failed checks %v", ge.FailedChecks)
	}
	if ents, _ := os.ReadDir(parent); len(ents) != 0 {
		t.Errorf("refused build left %v", ents)
	}
}

func TestGateOverride(t *testing.T) {
	s := testSigner(t)
	f := newFixture(t, 2)
	out := filepath.Join(t.TempDir(), "b")
	cfg := f.config(s, out)
	cfg.PrivacySummary = bundletest.PrivacySummary(false, 6, "mia_auc")
	cfg.OverridePrivacyGate = "ethics board approval 2026-17 for internal use"
	res, err := Build(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.PrivacyPassed || len(res.Overrides) != 1 {
		t.Fatalf("result %+v", res)
	}
	v, err := Verify(context.Background(), DirSource(out), VerifyOptions{Keys: []*PublicKey{s.Public()}})
	if err != nil {
		t.Fatalf("%v %v", err, v.Problems)
	}
	if v.PrivacyPassed || len(v.Overrides) != 1 {
		t.Fatalf("verify result %+v", v)
	}
	o := v.Overrides[0]
	if o.Gate != "privacy" || o.Reason != cfg.OverridePrivacyGate || strings.Join(o.FailedChecks, ",") != "mia_auc" {
		t.Errorf("override %+v", o)
	}
	if strings.Join(v.FailedChecks, ",") != "mia_auc" {
		t.Errorf("failed checks %v", v.FailedChecks)
	}
	readme, _ := os.ReadFile(filepath.Join(out, FileReadme))
	if !bytes.Contains(readme, []byte("FAILED (mia_auc) and was overridden")) || !bytes.Contains(readme, []byte(cfg.OverridePrivacyGate)) {
		t.Error("README.md does not say the gate was overridden and why")
	}
}

// TestNoLeaks builds from a fixture that sits beside private material and checks that no byte
// of it reaches any file of the bundle, and that Build refuses inputs that would carry it.
func TestNoLeaks(t *testing.T) {
	s := testSigner(t)
	f := newFixture(t, 4)
	secret := "SECRET-4b1d5f0e9c7a"
	pseudonym := "pt-7f3e2a1b"
	dicomString := "DOE^JANE"
	realPNG := filepath.Join(f.dir, "real", "images", "r-0001.png")
	realSHA := bundletest.WritePNG(t, realPNG, 16, 999)
	forbidden := []string{secret, pseudonym, dicomString, "/hospital/export/2024"}

	out := filepath.Join(t.TempDir(), "b")
	cfg := f.config(s, out)
	cfg.Forbidden = forbidden
	cfg.RealImageSHA256 = []string{realSHA}
	if _, err := Build(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	realData, _ := os.ReadFile(realPNG)
	filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, _ := os.ReadFile(p)
		for _, s := range forbidden {
			if bytes.Contains(data, []byte(s)) {
				t.Errorf("%s contains a forbidden string", p)
			}
		}
		if bytes.Equal(data, realData) {
			t.Errorf("%s is a real image", p)
		}
		return nil
	})

	cases := []struct {
		name   string
		mutate func(c *BuildConfig)
	}{
		{"pseudonym in privacy summary", func(c *BuildConfig) {
			var m map[string]any
			json.Unmarshal(c.PrivacySummary, &m)
			m["note"] = "closest real image belongs to " + pseudonym
			c.PrivacySummary, _ = json.Marshal(m)
		}},
		{"secret in generator summary", func(c *BuildConfig) {
			c.Generators = append(c.Generators, json.RawMessage(`{"class":"edema","code_version":"`+secret+`"}`))
		}},
		{"DICOM header string in description", func(c *BuildConfig) { c.Description = "images like " + dicomString }},
		{"real image among the approved", func(c *BuildConfig) {
			c.Images = append(c.Images, Image{ID: "s-real", Class: "normal", PNG: realPNG, SHA256: realSHA, Generator: testCheckpointSHA})
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			parent := t.TempDir()
			cfg := f.config(s, filepath.Join(parent, "b"))
			cfg.Forbidden = forbidden
			cfg.RealImageSHA256 = []string{realSHA}
			c.mutate(&cfg)
			_, err := Build(context.Background(), cfg)
			if !errors.Is(err, ErrLeak) {
				t.Fatalf("err %v, want ErrLeak", err)
			}
			for _, s := range forbidden {
				if strings.Contains(err.Error(), s) {
					t.Errorf("the error repeats the forbidden string: %v", err)
				}
			}
			if ents, _ := os.ReadDir(parent); len(ents) != 0 {
				t.Errorf("refused build left %v", ents)
			}
		})
	}
}

func TestPNGWithTextRefused(t *testing.T) {
	s := testSigner(t)
	f := newFixture(t, 1)
	data, _ := os.ReadFile(f.images[0].PNG)
	// Insert a tEXt chunk after IHDR (8-byte signature + 25-byte IHDR chunk).
	chunk := []byte("\x00\x00\x00\x0dtEXtPatientID\x00pt\x00\x00\x00\x00")
	withText := append(append(append([]byte{}, data[:33]...), chunk...), data[33:]...)
	os.WriteFile(f.images[0].PNG, withText, 0o644)
	cfg := f.config(s, filepath.Join(t.TempDir(), "b"))
	cfg.Images[0].SHA256 = ""
	if _, err := Build(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "tEXt") {
		t.Fatalf("err %v", err)
	}
}

func TestBuildRefusals(t *testing.T) {
	s := testSigner(t)
	f := newFixture(t, 2)
	cases := []struct {
		name   string
		mutate func(c *BuildConfig)
		want   string
	}{
		{"existing output", func(c *BuildConfig) { os.MkdirAll(c.Out, 0o755) }, "already exists"},
		{"bad version", func(c *BuildConfig) { c.Version = "v1" }, "semantic version"},
		{"bad name", func(c *BuildConfig) { c.Name = "Chest X" }, "name"},
		{"no images", func(c *BuildConfig) { c.Images = nil }, "no approved images"},
		{"changed image", func(c *BuildConfig) { c.Images[0].SHA256 = strings.Repeat("0", 64) }, "re-run the privacy check"},
		{"bad id", func(c *BuildConfig) { c.Images[0].ID = "../x" }, "id and class"},
		{"privacy summary without passed", func(c *BuildConfig) { c.PrivacySummary = []byte(`{"failed_checks":[]}`) }, `"passed"`},
		{"multi-line override", func(c *BuildConfig) { c.OverridePrivacyGate = "a\nb" }, "one line"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := f.config(s, filepath.Join(t.TempDir(), "b"))
			cfg.Images = append([]Image(nil), cfg.Images...)
			c.mutate(&cfg)
			if _, err := Build(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want %q", err, c.want)
			}
		})
	}
}

func TestBuildCancelled(t *testing.T) {
	s := testSigner(t)
	f := newFixture(t, 3)
	parent := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Build(ctx, f.config(s, filepath.Join(parent, "b"))); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	if ents, _ := os.ReadDir(parent); len(ents) != 0 {
		t.Errorf("cancelled build left %v", ents)
	}
}

func TestDICOMCopies(t *testing.T) {
	s := testSigner(t)
	f := newFixture(t, 2)
	for i := range f.images {
		p := strings.TrimSuffix(f.images[i].PNG, ".png") + ".dcm"
		os.WriteFile(p, append(make([]byte, 128), []byte("DICM synthetic SYNTHETIC^NORMAL")...), 0o644)
		f.images[i].DICOM = p
	}
	out := filepath.Join(t.TempDir(), "b")
	if _, err := Build(context.Background(), f.config(s, out)); err != nil {
		t.Fatal(err)
	}
	res, err := Verify(context.Background(), DirSource(out), VerifyOptions{Keys: []*PublicKey{s.Public()}})
	if err != nil {
		t.Fatalf("%v %v", err, res.Problems)
	}
	cr, _ := os.ReadFile(filepath.Join(out, FileCroissant))
	if !bytes.Contains(cr, []byte(`"includes": "data/images/*/*.dcm"`)) {
		t.Error("croissant.json has no DICOM FileSet")
	}
	if _, err := os.Stat(filepath.Join(out, "data/images/normal/s-00000.dcm")); err != nil {
		t.Error(err)
	}
	// A DICOM copy that carries a source header string is refused.
	os.WriteFile(f.images[0].DICOM, []byte("DICM DOE^JANE"), 0o644)
	cfg := f.config(s, filepath.Join(t.TempDir(), "b"))
	cfg.Forbidden = []string{"DOE^JANE"}
	if _, err := Build(context.Background(), cfg); !errors.Is(err, ErrLeak) {
		t.Fatalf("err %v, want ErrLeak", err)
	}
}

func TestLeakScanner(t *testing.T) {
	s := newLeakScanner([]string{"p-0123456789abcdef", "MRN-00443321", "DOE^JANE", "", "/pacs/export/x.dcm"})
	for _, c := range []struct {
		data string
		want bool
	}{
		{"nothing here", false},
		{"row,p-0123456789abcdef,", true},
		{"p-0123456789abcde", false}, // one short
		{"...MRN-00443321", true},
		{"MRN-0044332", false},
		{"x DOE^JANE y", true},
		{"DOE^JAN", false},
		{"path /pacs/export/x.dcm", true},
		{"", false},
	} {
		if got := s.found([]byte(c.data)); got != c.want {
			t.Errorf("found(%q) = %v, want %v", c.data, got, c.want)
		}
	}
	if newLeakScanner(nil).found([]byte("anything")) {
		t.Error("empty scanner found something")
	}
}

func BenchmarkLeakScanner(b *testing.B) {
	var forbidden []string
	for i := range 50000 {
		forbidden = append(forbidden, fmt.Sprintf("p-%016x", i*7919))
	}
	s := newLeakScanner(forbidden)
	data := bytes.Repeat([]byte("s-00001,normal,images/normal/s-00001.png,0123456789abcdef0123456789abcdef,4123,\n"), 12000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if s.found(data) {
			b.Fatal("false positive")
		}
	}
}
