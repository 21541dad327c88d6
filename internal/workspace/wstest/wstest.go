// Package wstest builds small workspaces for the tests of the stages that read one (train,
// evaluate, synth): real/index.csv and real/images written directly through internal/workspace
// (ingest is tested on its own), toy or phantom films, and a stand-in synthetic set. It also has
// [CancelAfter], a progress reporter that cancels a run after n steps: a crash mid-run.
//
// Only tests import it.
package wstest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/raysynth/raysynth/internal/imageio"
	"github.com/raysynth/raysynth/internal/phantom"
	"github.com/raysynth/raysynth/internal/progress"
	"github.com/raysynth/raysynth/internal/workspace"
)

// ToyImage draws a trivially separable picture: a bright blob in the upper half (class 0) or
// the lower half (class 1) of a dark, noisy field, at a random horizontal position.
func ToyImage(class, size int, rng *rand.Rand) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, size, size))
	cx := float64(size) * (0.3 + 0.4*rng.Float64())
	cy := float64(size) * (0.25 + 0.5*float64(class))
	r := float64(size) * 0.15
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			v := 40 + 20*rng.Float64()
			if d := math.Hypot(float64(x)-cx, float64(y)-cy); d < r {
				v += 150
			}
			g.Pix[y*size+x] = uint8(v)
		}
	}
	return g
}

// ClassSpec describes one class of a test workspace.
type ClassSpec struct {
	Class           string
	Train, Holdout  int // patients
	FilmsPerPatient int
}

// RenderFunc draws film j of a patient of a class.
type RenderFunc func(class string, classIdx int, patientSeed uint64, film, size int) *image.Gray

// ToyRender draws toy images; classIdx 0 and 1 differ, others reuse the pattern of idx%2 with a
// wider blob.
func ToyRender(_ string, classIdx int, seed uint64, film, size int) *image.Gray {
	return ToyImage(classIdx%2, size, rand.New(rand.NewPCG(seed, uint64(film))))
}

// PhantomRender draws phantom films (internal/phantom): a learnable tiny chest X-ray data set.
func PhantomRender(t testing.TB) RenderFunc {
	return func(class string, _ int, seed uint64, film, size int) *image.Gray {
		p, err := phantom.NewPatient(class, seed)
		if err != nil {
			t.Fatal(err)
		}
		return p.Render(p.FilmParams(film), size)
	}
}

// New writes a workspace with real/index.csv and real/images directly through
// internal/workspace (a test fixture: ingest is tested elsewhere).
func New(t testing.TB, size int, specs []ClassSpec, render RenderFunc, seed uint64) *workspace.Workspace {
	t.Helper()
	w, err := workspace.Init(filepath.Join(t.TempDir(), "ws"))
	if err != nil {
		t.Fatal(err)
	}
	var classes []string
	var rows []workspace.RealImage
	for ci, s := range specs {
		classes = append(classes, s.Class)
		for p := 0; p < s.Train+s.Holdout; p++ {
			split := workspace.SplitTrain
			if p >= s.Train {
				split = workspace.SplitHoldout
			}
			patient := fmt.Sprintf("p-%s-%03d", s.Class, p)
			for f := 0; f < s.FilmsPerPatient; f++ {
				id := fmt.Sprintf("i-%s-%03d-%d", s.Class, p, f)
				img := render(s.Class, ci, seed*1000+uint64(ci)*100+uint64(p), f, size)
				b, err := imageio.WriteGray(w.RealImagePath(id), img)
				if err != nil {
					t.Fatal(err)
				}
				sum := sha256.Sum256(b)
				rows = append(rows, workspace.RealImage{ID: id, Patient: patient, Class: s.Class, Split: split, SHA256: hex.EncodeToString(sum[:]), SourceKind: "png"})
			}
		}
	}
	if err := w.WriteRealIndex(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.SaveMeta(workspace.Meta{ImageSize: size, Classes: classes, Seed: seed}); err != nil {
		t.Fatal(err)
	}
	return w
}

// WriteFakeSynthetic writes a TEST FIXTURE standing in for a synthetic set: perturbed copies of
// the workspace's real train images (noise and a one-pixel shift), under the synthetic index
// layout ([workspace.SynthImage] rows, images/<class>/<id>.png). The real synthetic set comes from the DCGANs (synth).
func WriteFakeSynthetic(t *testing.T, w *workspace.Workspace, which string, perClass int, seed uint64) {
	t.Helper()
	rows, err := w.ReadRealIndex()
	if err != nil {
		t.Fatal(err)
	}
	idx, sub := w.ApprovedIndexPath(), "images"
	switch which {
	case "approved":
	case "candidates":
		idx, sub = w.CandidatesIndexPath(), "candidates"
	default:
		t.Fatalf("synthetic set %q: want approved or candidates", which)
	}
	rng := rand.New(rand.NewPCG(seed, 77))
	made := map[string]int{}
	var out []workspace.SynthImage
	for n := 0; n < 50 && len(out) < perClass*8; n++ {
		for _, r := range rows {
			if r.Split != workspace.SplitTrain || made[r.Class] >= perClass {
				continue
			}
			src, err := imageio.ReadGray(w.RealImagePath(r.ID))
			if err != nil {
				t.Fatal(err)
			}
			s := src.Rect.Dx()
			g := image.NewGray(src.Rect)
			for y := 0; y < s; y++ {
				for x := 0; x < s; x++ {
					v := float64(src.Pix[y*s+min(x+1, s-1)]) + 8*rng.NormFloat64()
					g.Pix[y*s+x] = uint8(min(max(v, 0), 255))
				}
			}
			id := fmt.Sprintf("s-fixture-%s-%04d", r.Class, made[r.Class])
			rel := fmt.Sprintf("%s/%s/%s.png", sub, r.Class, id)
			b, err := imageio.WriteGray(filepath.Join(filepath.Dir(idx), filepath.FromSlash(rel)), g)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(b)
			out = append(out, workspace.SynthImage{ID: id, Class: r.Class, File: rel, SHA256: hex.EncodeToString(sum[:]), Generator: "test-fixture", Seed: seed, Sample: int64(made[r.Class])})
			made[r.Class]++
		}
	}
	if err := workspace.WriteSynthIndex(idx, out); err != nil {
		t.Fatal(err)
	}
}

// CancelAfter is a progress reporter that cancels the run after N steps of any task: a crash
// mid-epoch.
type CancelAfter struct {
	N      int64
	Cancel context.CancelFunc
}

// Start returns c itself, so every task counts towards N.
func (c *CancelAfter) Start(string, int64, string) progress.Task { return c }

// Add counts k steps and cancels once N are done.
func (c *CancelAfter) Add(k int64) {
	c.N -= k
	if c.N <= 0 {
		c.Cancel()
	}
}

// Status does nothing.
func (c *CancelAfter) Status(string) {}

// Done does nothing.
func (c *CancelAfter) Done() {}
