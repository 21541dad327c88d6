package train

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/raysynth/raysynth/internal/imageio"
	"github.com/raysynth/raysynth/internal/workspace"
	"github.com/raysynth/raysynth/internal/workspace/wstest"
)

// tinyWorkspace writes a workspace of size×size blob images: counts[class] train images per class
// (two per patient) plus one holdout image per class, which training must never read.
func tinyWorkspace(t *testing.T, size int, counts map[string]int) *workspace.Workspace {
	t.Helper()
	w, err := workspace.Init(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var classes []string
	var rows []workspace.RealImage
	rng := rand.New(rand.NewPCG(3, 4))
	// classes in sorted order, so the films (drawn from one RNG) and the training order are the
	// same on every run
	for _, class := range slices.Sorted(maps.Keys(counts)) {
		n := counts[class]
		classes = append(classes, class)
		for i := 0; i <= n; i++ {
			img := image.NewGray(image.Rect(0, 0, size, size))
			cx, cy, r := rng.IntN(size), rng.IntN(size), 3+rng.IntN(size/3)
			for y := 0; y < size; y++ {
				for x := 0; x < size; x++ {
					v := 30 + rng.IntN(20)
					if (x-cx)*(x-cx)+(y-cy)*(y-cy) < r*r {
						v += 150
					}
					img.Pix[y*size+x] = uint8(v)
				}
			}
			id := fmt.Sprintf("%s-%03d", class, i)
			b, err := imageio.WriteGray(w.RealImagePath(id), img)
			if err != nil {
				t.Fatal(err)
			}
			split := workspace.SplitTrain
			if i == n {
				split = workspace.SplitHoldout
			}
			rows = append(rows, workspace.RealImage{ID: id, Patient: fmt.Sprintf("p%s%d", class, i/2), Class: class, Split: split,
				SHA256: fmt.Sprintf("%x", b[:8]), SourceKind: "png"})
		}
	}
	if err := w.SaveMeta(workspace.Meta{ImageSize: size, Classes: classes, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteRealIndex(rows); err != nil {
		t.Fatal(err)
	}
	return w
}

// tinyConfig trains with the augmented recipe, which keeps a moving average of G: every test
// below then covers augmentation and the average too.
func tinyConfig(w *workspace.Workspace, epochs int) GANConfig {
	r, _ := RecipeByName(RecipeAugmented)
	return GANConfig{Workspace: w, Epochs: epochs, Batch: 4, Size: 32, LR: 2e-4, Beta1: 0.5, Seed: 42,
		CheckpointEvery: 1, MinImages: 8, CodeVersion: "test", Recipe: r}
}

func TestTrainGANWritesOutputsAndSkipsSmallClasses(t *testing.T) {
	w := tinyWorkspace(t, 32, map[string]int{"normal": 12, "edema": 3})
	res, err := TrainGAN(context.Background(), tinyConfig(w, 1))
	if err != nil {
		t.Fatal(err)
	}
	byClass := map[string]GANClassResult{}
	for _, c := range res.Classes {
		byClass[c.Class] = c
	}
	sk := byClass["edema"]
	if sk.Status != "skipped" || sk.TrainImages != 3 || sk.NeedImages != 8 || sk.Reason != "class edema has 3 train images, needs at least 8" {
		t.Errorf("small class: %+v", sk)
	}
	if _, err := os.Stat(w.GANDir("edema")); !os.IsNotExist(err) {
		t.Errorf("a skipped class left %s", w.GANDir("edema"))
	}
	n := byClass["normal"]
	if n.Status != "trained" || n.EpochsRun != 1 || n.TrainImages != 12 || n.TrainPatients != 6 {
		t.Fatalf("normal: %+v", n)
	}
	dir := w.GANDir("normal")
	for _, f := range []string{CheckpointFile, SummaryFile, LogFile, LossPlotFile, "samples/epoch-001.png"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s missing or empty: %v", f, err)
		}
	}
	grid, err := imageio.ReadGray(filepath.Join(dir, "samples/epoch-001.png"))
	if err != nil || grid.Rect.Dx() != 8*32+9*2 {
		t.Errorf("sample grid: %v %v", err, grid.Rect)
	}
	// the fields other stages read (contract.GANSummary)
	b, _ := os.ReadFile(filepath.Join(dir, SummaryFile))
	var sum map[string]any
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"class", "size", "epochs", "batch", "lr", "beta1", "seed", "code_version", "train_fingerprint",
		"train_images", "train_patients", "checkpoint", "checkpoint_sha256", "finished", "dp"} {
		if _, ok := sum[k]; !ok {
			t.Errorf("summary.json lacks %q", k)
		}
	}
	if sum["dp"] != nil || sum["checkpoint"] != CheckpointFile || sum["train_images"] != float64(12) {
		t.Errorf("summary: %s", b)
	}
	_, sha, err := ReadCheckpoint(filepath.Join(dir, CheckpointFile))
	if err != nil || sha != sum["checkpoint_sha256"] {
		t.Errorf("checkpoint sha %s, summary says %v (%v)", sha, sum["checkpoint_sha256"], err)
	}
	// Running again with the same settings changes nothing.
	res2, err := TrainGAN(context.Background(), tinyConfig(w, 1))
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := os.ReadFile(filepath.Join(dir, SummaryFile))
	if res2.Classes[len(res2.Classes)-1].Status != "up-to-date" && res2.Classes[0].Status != "up-to-date" {
		t.Errorf("second run: %+v", res2.Classes)
	}
	if !bytes.Equal(b, b2) {
		t.Errorf("summary changed on an up-to-date run:\n%s\n%s", b, b2)
	}
	// Other settings against the existing checkpoint are refused, not mixed.
	cfg := tinyConfig(w, 2)
	cfg.Classes = []string{"normal"}
	cfg.Seed = 7
	if _, err := TrainGAN(context.Background(), cfg); !errors.Is(err, ErrCheckpointMismatch) {
		t.Errorf("other seed on an existing checkpoint: %v", err)
	}
}

// TestResumeAfterCrashGivesSameWeights runs in both precisions: a bf16 checkpoint resumes to
// the same weights too, records its precision, and refuses to resume in another one.
func TestResumeAfterCrashGivesSameWeights(t *testing.T) {
	var final [2][]byte
	for i, prec := range []Precision{FP32, BF16} {
		t.Run(prec.String(), func(t *testing.T) {
			counts := map[string]int{"normal": 8}
			config := func(w *workspace.Workspace) GANConfig {
				c := tinyConfig(w, 2)
				c.Precision = prec
				return c
			}
			// uninterrupted: 2 epochs
			wa := tinyWorkspace(t, 32, counts)
			if _, err := TrainGAN(context.Background(), config(wa)); err != nil {
				t.Fatal(err)
			}
			// interrupted in the middle of epoch 2 (2 steps per epoch), then the same command again
			wb := tinyWorkspace(t, 32, counts)
			ctx, cancel := context.WithCancel(context.Background())
			cfg := config(wb)
			cfg.Progress = &wstest.CancelAfter{N: 3, Cancel: cancel}
			if _, err := TrainGAN(ctx, cfg); !errors.Is(err, context.Canceled) {
				t.Fatalf("interrupted run: %v", err)
			}
			c, _, err := ReadCheckpoint(filepath.Join(wb.GANDir("normal"), CheckpointFile))
			if err != nil {
				t.Fatal(err)
			}
			var meta ganMeta
			json.Unmarshal(c.Meta, &meta)
			if meta.Epoch != 1 || meta.Precision != prec.String() {
				t.Fatalf("checkpoint after the crash is at epoch %d in %q, want 1 in %s", meta.Epoch, meta.Precision, prec)
			}
			other := config(wb)
			other.Precision = 1 - prec
			if _, err := TrainGAN(context.Background(), other); !errors.Is(err, ErrCheckpointMismatch) {
				t.Fatalf("resuming a %s checkpoint in %s: %v, want %v", prec, other.Precision, err, ErrCheckpointMismatch)
			}
			res, err := TrainGAN(context.Background(), config(wb))
			if err != nil {
				t.Fatal(err)
			}
			if res.Classes[0].Status != "resumed" || res.Classes[0].EpochsRun != 1 {
				t.Errorf("resumed run: %+v", res.Classes[0])
			}
			if got := res.Classes[0].Summary.Precision; got != prec.String() {
				t.Errorf("summary precision %q, want %s", got, prec)
			}
			a, _ := os.ReadFile(filepath.Join(wa.GANDir("normal"), CheckpointFile))
			b, _ := os.ReadFile(filepath.Join(wb.GANDir("normal"), CheckpointFile))
			if !bytes.Equal(a, b) {
				t.Fatal("resumed run's final checkpoint differs from the uninterrupted run's")
			}
			final[i] = a
			la, _ := readLog(filepath.Join(wa.GANDir("normal"), LogFile), 99)
			lb, _ := readLog(filepath.Join(wb.GANDir("normal"), LogFile), 99)
			if len(la) != len(lb) {
				t.Errorf("training logs have %d and %d entries", len(la), len(lb))
			}
		})
	}
	if final[0] != nil && bytes.Equal(final[0], final[1]) {
		t.Error("fp32 and bf16 training gave the same checkpoint: bf16 did not reach the products")
	}
}

func TestCheckpointRejectsDamage(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.ckpt")
	c := &Checkpoint{Kind: "x", Meta: json.RawMessage(`{"a":1}`), Tensors: []Tensor{{Name: "w", Shape: []int{2, 3}, Data: []float32{1, 2, 3, 4, 5, 6}}}}
	sha, err := WriteCheckpoint(p, c)
	if err != nil {
		t.Fatal(err)
	}
	got, sha2, err := ReadCheckpoint(p)
	if err != nil || sha2 != sha || got.Tensors[0].Data[5] != 6 || string(got.Meta) != `{"a":1}` {
		t.Fatalf("round trip: %v %v %+v", err, sha2, got)
	}
	b, _ := os.ReadFile(p)
	for name, bad := range map[string][]byte{
		"truncated": b[:len(b)-3],
		"trailing":  append(append([]byte(nil), b...), 0),
		"magic":     append([]byte("X"), b[1:]...),
		"empty":     nil,
	} {
		os.WriteFile(p, bad, 0o644)
		if _, _, err := ReadCheckpoint(p); !errors.Is(err, ErrBadCheckpoint) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestGeneratorIsDeterministic(t *testing.T) {
	w := tinyWorkspace(t, 32, map[string]int{"normal": 8})
	if _, err := TrainGAN(context.Background(), tinyConfig(w, 1)); err != nil {
		t.Fatal(err)
	}
	g, err := LoadGenerator(filepath.Join(w.GANDir("normal"), CheckpointFile), 4)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	a, err := g.Generate(context.Background(), 6, 9, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := g.Generate(context.Background(), 6, 9, 0)
	c, _ := g.Generate(context.Background(), 2, 9, 4) // samples 4 and 5 on their own
	if len(a) != 6 || len(a[0]) != 32*32 || g.Class != "normal" || len(g.SHA256) != 64 {
		t.Fatalf("generated %d images of %d", len(a), len(a[0]))
	}
	for i := range a {
		if !equalF(a[i], b[i], 0) {
			t.Fatalf("image %d differs between identical calls", i)
		}
	}
	for i := range c {
		if !equalF(a[4+i], c[i], 1e-5) {
			t.Errorf("sample %d depends on what else is in its batch", 4+i)
		}
	}
	if equalF(a[0], a[1], 1e-3) {
		t.Error("two samples are identical")
	}
}

func equalF(a, b []float32, tol float32) bool {
	for i := range a {
		if d := a[i] - b[i]; d > tol || d < -tol {
			return false
		}
	}
	return true
}

func TestFitSize(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 4, 4))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 10)
	}
	got, err := fitSize(img, 2)
	if err != nil {
		t.Fatal(err)
	}
	// top-left block: 0, 10, 40, 50 → 25
	if want := []uint8{25, 45, 105, 125}; !bytes.Equal(got.Pix, want) {
		t.Errorf("2×2 averages %v, want %v", got.Pix, want)
	}
	if same, _ := fitSize(img, 4); same != img {
		t.Error("same size is not passed through")
	}
	for _, size := range []int{3, 8} {
		if _, err := fitSize(img, size); err == nil {
			t.Errorf("4×4 to %d×%d: no error", size, size)
		}
	}
}

// A warning that comes up in several epochs is listed once, with the latest figures, how often
// and when it came up last; kinds keep their first-seen order.
func TestWarnTallyOncePerKind(t *testing.T) {
	var w warnTally
	for e := 1; e <= 3; e++ {
		for _, m := range collapseWarnings(0.5, 1, 0.001*float64(e)) {
			w.add(m, e)
		}
	}
	for _, m := range collapseWarnings(0.001, 20, 1) {
		w.add(m, 4)
	}
	got := w.summary(5)
	want := []string{
		"samples nearly identical (mean RMS difference 0.0030): mode collapse; in 3 of 5 epochs run, last in epoch 3",
		"discriminator loss near 0 (0.0010): it wins outright and the generator learns nothing; in 1 of 5 epochs run, last in epoch 4",
		"generator loss exploding (20.0); in 1 of 5 epochs run, last in epoch 4",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("summary:\n%q\nwant\n%q", got, want)
	}
	if (warnTally{}).summary(3) != nil {
		t.Fatal("no warnings should give no summary")
	}
}
