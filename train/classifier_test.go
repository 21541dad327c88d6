package train

import (
	"context"
	"errors"
	"github.com/raysynth/raysynth/internal/workspace/wstest"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/raysynth/raysynth/internal/imageio"
	"github.com/raysynth/raysynth/internal/workspace"
)

func toyExamples(n, size int, seed uint64) []Example {
	rng := rand.New(rand.NewPCG(seed, 1))
	var ex []Example
	for i := 0; i < n; i++ {
		c := i % 2
		ex = append(ex, NewExample("toy", string(rune('a'+i%26)), c, imageio.ToFloat(nil, wstest.ToyImage(c, size, rng))))
	}
	return ex
}

func TestClassifierLearnsSeparableToySet(t *testing.T) {
	const size = 32
	trainEx, testEx := toyExamples(48, size, 1), toyExamples(40, size, 2)
	cfg := FitConfig{Arch: DefaultClassifierArch(size, 2), Classes: []string{"up", "down"}, Epochs: 6, Batch: 8, LR: 2e-3, Seed: 3, Augment: true}
	res, err := Fit(context.Background(), cfg, trainEx, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := newClassifier(res.model, cfg.Classes, "test")
	defer c.Close()
	imgs := make([][]float32, len(testEx))
	for i, e := range testEx {
		if imgs[i], err = e.Pixels(nil); err != nil {
			t.Fatal(err)
		}
	}
	probs, err := c.Predict(context.Background(), imgs)
	if err != nil {
		t.Fatal(err)
	}
	correct := 0
	for i, p := range probs {
		if (p[1] > p[0]) == (testEx[i].Class() == 1) {
			correct++
		}
	}
	acc := float64(correct) / float64(len(testEx))
	t.Logf("toy accuracy %.3f after %d epochs (train loss %.3f → %.3f)", acc, res.meta.Epoch, res.meta.History[0].TrainLoss, res.meta.History[len(res.meta.History)-1].TrainLoss)
	if acc < 0.9 {
		t.Fatalf("accuracy %.3f on a trivially separable set, want ≥ 0.9 (chance 0.5)", acc)
	}
	emb, err := c.Embed(context.Background(), imgs[:3])
	if err != nil {
		t.Fatal(err)
	}
	if len(emb) != 3 || len(emb[0]) != cfg.Arch.Hidden {
		t.Fatalf("embedding %d×%d, want 3×%d", len(emb), len(emb[0]), cfg.Arch.Hidden)
	}
}

func TestSplitValidationByPatient(t *testing.T) {
	var ex []Example
	for p := 0; p < 20; p++ {
		c := 0
		if p >= 16 {
			c = 1
		}
		for f := 0; f < 3; f++ {
			ex = append(ex, NewExample("", string(rune('A'+p)), c, nil))
		}
	}
	ex = append(ex, NewExample("", "lonely", 2, nil))
	tr, val := SplitValidation(ex, 0.25, 9)
	trP, valP := map[string]bool{}, map[string]bool{}
	for _, e := range tr {
		trP[e.Group()] = true
	}
	for _, e := range val {
		valP[e.Group()] = true
		if trP[e.Group()] {
			t.Fatalf("patient %s is in both training and validation", e.Group())
		}
	}
	if got := ClassCounts(val, 3); got[0] != 12 || got[1] != 3 || got[2] != 0 {
		t.Fatalf("validation images per class %v, want [12 3 0] (4 and 1 patients; the single-patient class stays in training)", got)
	}
	tr2, val2 := SplitValidation(ex, 0.25, 9)
	if len(tr2) != len(tr) || len(val2) != len(val) || val2[0].Group() != val[0].Group() {
		t.Fatal("the split is not deterministic for a seed")
	}
}

func TestAugmentKeepsOrientation(t *testing.T) {
	// A bright left half must stay on the left: augmentation never flips.
	const size = 32
	src := make([]float32, size*size)
	for y := 0; y < size; y++ {
		for x := 0; x < size/2; x++ {
			src[y*size+x] = 1
		}
		for x := size / 2; x < size; x++ {
			src[y*size+x] = -1
		}
	}
	dst := make([]float32, size*size)
	for s := uint64(0); s < 50; s++ {
		augment(dst, src, size, rand.New(rand.NewPCG(s, 0)))
		var left, right float64
		for y := 0; y < size; y++ {
			for x := 0; x < size/4; x++ {
				left += float64(dst[y*size+x])
				right += float64(dst[y*size+size-1-x])
			}
		}
		if left <= right {
			t.Fatalf("seed %d: left quarter %.1f not brighter than right %.1f", s, left, right)
		}
		if slices.Max(dst) > 1 || slices.Min(dst) < -1 {
			t.Fatalf("seed %d: values outside [-1, 1]", s)
		}
	}
}

func TestEpochOrderOversamples(t *testing.T) {
	ex := make([]Example, 13)
	for i := range ex {
		if i >= 10 {
			ex[i] = ex[i].WithClass(1)
		}
	}
	order := epochOrder(ex, 3, true, rand.New(rand.NewPCG(1, 2)))
	n := make([]int, 3)
	for _, i := range order {
		n[ex[i].Class()]++
	}
	if n[0] != 10 || n[1] != 10 || n[2] != 0 {
		t.Fatalf("oversampled epoch per class %v, want [10 10 0]", n)
	}
	if w := classWeights([]int{10, 3, 0}); w[1] <= w[0] || w[2] != 0 {
		t.Fatalf("class weights %v", w)
	}
}

func classifierTestConfig(w *workspace.Workspace, epochs int) ClassifierConfig {
	return ClassifierConfig{Workspace: w, Epochs: epochs, Batch: 8, LR: 2e-3, Seed: 5, ValFraction: 0.25, Patience: 0}
}

func TestTrainClassifierResumesToSameWeights(t *testing.T) {
	specs := []wstest.ClassSpec{{Class: "normal", Train: 5, Holdout: 2, FilmsPerPatient: 3}, {Class: "cardiomegaly", Train: 4, Holdout: 2, FilmsPerPatient: 3}}
	w := wstest.New(t, 32, specs, wstest.ToyRender, 1)
	ctx := context.Background()

	// Uninterrupted: 3 epochs.
	full, err := TrainClassifier(ctx, classifierTestConfig(w, 3))
	if err != nil {
		t.Fatal(err)
	}
	if full.EpochsRun != 3 || full.Resumed {
		t.Fatalf("ran %d epochs (resumed %v), want 3 fresh", full.EpochsRun, full.Resumed)
	}
	if full.Validation["normal"] == 0 || full.TrainReal["normal"]+full.Validation["normal"] != 15 {
		t.Fatalf("train %v / validation %v: want the 15 normal train images split between them", full.TrainReal, full.Validation)
	}
	want, err := os.ReadFile(filepath.Join(w.ClassifierDir(), ClassifierModelFile))
	if err != nil {
		t.Fatal(err)
	}
	// A rerun of a finished training does no work and gives the same model.
	again, err := TrainClassifier(ctx, classifierTestConfig(w, 3))
	if err != nil || !again.Resumed || again.ModelSHA256 != full.ModelSHA256 {
		t.Fatalf("rerun: resumed %v, sha %s vs %s, err %v", again != nil && again.Resumed, again.ModelSHA256, full.ModelSHA256, err)
	}

	// Interrupted: cancel during epoch 3 of a fresh run, then resume.
	os.RemoveAll(w.ClassifierDir())
	cctx, cancel := context.WithCancel(ctx)
	cfg := classifierTestConfig(w, 3)
	cfg.Progress = &wstest.CancelAfter{N: int64(2*stepsFor(t, w, cfg) + 1), Cancel: cancel}
	if _, err := TrainClassifier(cctx, cfg); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run returned %v, want context.Canceled", err)
	}
	if _, err := os.Stat(filepath.Join(w.ClassifierDir(), ClassifierModelFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("an interrupted run left a model file")
	}
	res, err := TrainClassifier(ctx, classifierTestConfig(w, 3))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Resumed {
		t.Fatal("second run did not resume")
	}
	got, _ := os.ReadFile(filepath.Join(w.ClassifierDir(), ClassifierModelFile))
	if res.ModelSHA256 != full.ModelSHA256 || len(got) != len(want) {
		t.Fatalf("resumed model sha %s differs from the uninterrupted %s", res.ModelSHA256, full.ModelSHA256)
	}

	// Other settings with the old checkpoint are refused, not silently mixed.
	other := classifierTestConfig(w, 3)
	other.Seed = 6
	if _, err := TrainClassifier(ctx, other); !errors.Is(err, ErrCheckpointMismatch) {
		t.Fatalf("other seed over an old checkpoint: %v, want ErrCheckpointMismatch", err)
	}
	other.Restart = true
	if _, err := TrainClassifier(ctx, other); err != nil {
		t.Fatal(err)
	}

	c, err := LoadClassifier(filepath.Join(w.ClassifierDir(), ClassifierModelFile))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Size() != 32 || !slices.Equal(c.Classes(), []string{"normal", "cardiomegaly"}) || c.Name() == "" {
		t.Fatalf("loaded classifier: size %d classes %v name %q", c.Size(), c.Classes(), c.Name())
	}
}

func stepsFor(t *testing.T, w *workspace.Workspace, cfg ClassifierConfig) int {
	meta, _ := w.LoadMeta()
	real, err := LoadReal(w, meta.Classes, meta.ImageSize, workspace.SplitTrain)
	if err != nil {
		t.Fatal(err)
	}
	tr, _ := SplitValidation(real, cfg.ValFraction, cfg.Seed)
	return StepsPerEpoch(tr, len(meta.Classes), cfg.Oversample, cfg.Batch)
}

func TestTrainClassifierWithSyntheticAndErrors(t *testing.T) {
	specs := []wstest.ClassSpec{{Class: "normal", Train: 4, Holdout: 1, FilmsPerPatient: 3}, {Class: "effusion", Train: 3, Holdout: 1, FilmsPerPatient: 3}}
	w := wstest.New(t, 32, specs, wstest.ToyRender, 2)
	ctx := context.Background()
	cfg := classifierTestConfig(w, 1)
	cfg.WithSynthetic = SyntheticApproved
	if _, err := TrainClassifier(ctx, cfg); !errors.Is(err, ErrNoSynthetic) {
		t.Fatalf("no approved set: %v, want ErrNoSynthetic", err)
	}
	wstest.WriteFakeSynthetic(t, w, SyntheticApproved, 6, 1)
	sum, err := TrainClassifier(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if sum.TrainSynth["normal"] != 6 || sum.TrainSynth["effusion"] != 6 {
		t.Fatalf("synthetic images used %v, want 6 per class", sum.TrainSynth)
	}
	bad := cfg
	bad.Batch = 1
	if err := bad.Validate(); err == nil {
		t.Fatal("batch 1 accepted")
	}
	bad = cfg
	bad.WithSynthetic = "all"
	if err := bad.Validate(); err == nil {
		t.Fatal("synthetic set \"all\" accepted")
	}
}

func TestEmbedAveragesLargerImagesDown(t *testing.T) {
	m := newCNN(DefaultClassifierArch(16, 2), rand.New(rand.NewPCG(1, 1)))
	c := newClassifier(m, []string{"a", "b"}, "x")
	defer c.Close()
	big := make([]float32, 32*32)
	small := make([]float32, 16*16)
	rng := rand.New(rand.NewPCG(2, 2))
	for y := 0; y < 16; y++ {
		for x := 0; x < 16; x++ {
			v := float32(rng.Float64()*2 - 1)
			small[y*16+x] = v
			for _, d := range []int{0, 1, 32, 33} {
				big[(2*y)*32+2*x+d] = v
			}
		}
	}
	ctx := context.Background()
	eb, err := c.Embed(ctx, [][]float32{big, small})
	if err != nil {
		t.Fatal(err)
	}
	// Equal up to float32 rounding: the BLAS kernel the CPU picks may sum in another order.
	for i := range eb[0] {
		if d := math.Abs(float64(eb[0][i] - eb[1][i])); d > 1e-5*(1+math.Abs(float64(eb[1][i]))) {
			t.Fatalf("a 32×32 image made of 2×2 blocks embeds differently from its 16×16 average: dimension %d: %g vs %g", i, eb[0][i], eb[1][i])
		}
	}
	if _, err := c.Embed(ctx, [][]float32{make([]float32, 20*20)}); err == nil {
		t.Fatal("a 20×20 image was accepted by a 16×16 classifier")
	}
}

// LoadReal's compact table gives back, per example, what the index and the image files hold.
func TestLoadRealCompactTable(t *testing.T) {
	if s := unsafe.Sizeof(Example{}); s > 16 {
		t.Fatalf("an Example is %d bytes; copies of example slices cost that per film (issue 20)", s)
	}
	specs := []wstest.ClassSpec{{Class: "normal", Train: 5, Holdout: 2, FilmsPerPatient: 3}, {Class: "effusion", Train: 3, Holdout: 1, FilmsPerPatient: 2}}
	w := wstest.New(t, 32, specs, wstest.ToyRender, 4)
	meta, err := w.LoadMeta()
	if err != nil {
		t.Fatal(err)
	}
	rows, err := w.ReadRealIndex()
	if err != nil {
		t.Fatal(err)
	}
	for _, split := range []string{workspace.SplitTrain, workspace.SplitHoldout, ""} {
		ex, err := LoadReal(w, meta.Classes, 32, split)
		if err != nil {
			t.Fatal(err)
		}
		var want []workspace.RealImage
		for _, r := range rows {
			if split == "" || r.Split == split {
				want = append(want, r)
			}
		}
		slices.SortFunc(want, func(a, b workspace.RealImage) int { return strings.Compare(a.ID, b.ID) })
		if len(ex) != len(want) || len(want) == 0 {
			t.Fatalf("split %q: %d examples, want %d", split, len(ex), len(want))
		}
		var px []float32
		for i, e := range ex {
			r := want[i]
			if e.ID() != r.ID || e.Group() != r.Patient || meta.Classes[e.Class()] != r.Class || e.Synthetic() {
				t.Fatalf("split %q example %d: %s %s %d %t, want row %+v", split, i, e.ID(), e.Group(), e.Class(), e.Synthetic(), r)
			}
			img, err := imageio.ReadGray(w.RealImagePath(r.ID))
			if err != nil {
				t.Fatal(err)
			}
			if px, err = e.Pixels(px); err != nil || !slices.Equal(px, imageio.ToFloat(nil, img)) {
				t.Fatalf("split %q example %s: pixels differ from its file (%v)", split, r.ID, err)
			}
		}
	}
}
