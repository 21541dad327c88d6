package train

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/raysynth/raysynth/internal/workspace/wstest"
)

// A step budget: a class smaller than the batch trains on all its images per step, the run stops
// at exactly the budget, and raising it resumes.
func TestTrainGANStepsAndSmallClass(t *testing.T) {
	w := tinyWorkspace(t, 32, map[string]int{"normal": 6})
	cfg := tinyConfig(w, 0)
	cfg.Steps, cfg.Batch, cfg.MinImages = 5, 64, 4
	res, err := TrainGAN(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := res.Classes[0]
	if c.Status != "trained" || c.Batch != 6 || c.Steps != 5 || c.TargetSteps != 5 || c.EpochsRun != 5 {
		t.Fatalf("small class: %+v", c)
	}
	sum, err := ReadGANSummary(filepath.Join(w.GANDir("normal"), SummaryFile))
	if err != nil || sum.Steps != 5 || sum.Batch != 6 || sum.Recipe.Name != RecipeAugmented || sum.SampleCheck == nil {
		t.Fatalf("summary: %+v %v", sum, err)
	}
	cfg.Steps = 8
	res, err = TrainGAN(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if c := res.Classes[0]; c.Status != "resumed" || c.Steps != 8 {
		t.Fatalf("raised budget: %+v", c)
	}
	cfg.Recipe, _ = RecipeByName(RecipeDCGAN)
	if _, err := TrainGAN(context.Background(), cfg); !errors.Is(err, ErrCheckpointMismatch) || !strings.Contains(err.Error(), "recipe augmented") {
		t.Errorf("another recipe on the checkpoint: %v", err)
	}
	// sampling the average instead of the last weights is not another training: recorded
	cfg.Recipe, _ = RecipeByName(RecipeAugmented)
	cfg.Recipe.SampleEMA = true
	if res, err = TrainGAN(context.Background(), cfg); err != nil || res.Classes[0].Status != "up-to-date" {
		t.Fatalf("other sampled weights: %v %+v", err, res)
	}
	g, err := LoadGenerator(filepath.Join(w.GANDir("normal"), CheckpointFile), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if g.Weights != WeightsEMA {
		t.Errorf("generator samples %s, want %s", g.Weights, WeightsEMA)
	}
}

// With a step budget, augmentation and the moving average, a run interrupted mid-way and run
// again ends with the same checkpoint (weights, average, optimisers, RNG) as an uninterrupted one.
func TestResumeStepsWithRecipeGivesSameWeights(t *testing.T) {
	saved := minCheckpointSteps
	minCheckpointSteps = 2
	defer func() { minCheckpointSteps = saved }()
	counts := map[string]int{"normal": 8}
	cfgFor := func(t *testing.T) GANConfig {
		c := tinyConfig(tinyWorkspace(t, 32, counts), 0)
		c.Steps = 7 // 2 steps per epoch: the last epoch is cut short
		return c
	}
	a := cfgFor(t)
	if _, err := TrainGAN(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	b := cfgFor(t)
	ctx, cancel := context.WithCancel(context.Background())
	b.Progress = &wstest.CancelAfter{N: 5, Cancel: cancel}
	if _, err := TrainGAN(ctx, b); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v", err)
	}
	b.Progress = nil
	res, err := TrainGAN(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	if res.Classes[0].Status != "resumed" || res.Classes[0].Steps != 7 {
		t.Fatalf("resumed: %+v", res.Classes[0])
	}
	ca, _ := os.ReadFile(filepath.Join(a.Workspace.GANDir("normal"), CheckpointFile))
	cb, _ := os.ReadFile(filepath.Join(b.Workspace.GANDir("normal"), CheckpointFile))
	if !bytes.Equal(ca, cb) {
		t.Fatal("the resumed run's checkpoint differs from the uninterrupted run's")
	}
	c, _, err := ReadCheckpoint(filepath.Join(a.Workspace.GANDir("normal"), CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	var meta ganMeta
	json.Unmarshal(c.Meta, &meta)
	if meta.Steps != 7 || !meta.Recipe.Augment || meta.Recipe.EMADecay != DefaultEMADecay {
		t.Fatalf("checkpoint meta: %+v", meta)
	}
	// both weights can be sampled, and they differ
	last, err := LoadGeneratorWeights(filepath.Join(a.Workspace.GANDir("normal"), CheckpointFile), 4, WeightsLast)
	if err != nil {
		t.Fatal(err)
	}
	defer last.Close()
	avg, err := LoadGeneratorWeights(filepath.Join(a.Workspace.GANDir("normal"), CheckpointFile), 4, WeightsEMA)
	if err != nil {
		t.Fatal(err)
	}
	defer avg.Close()
	x, _ := last.Generate(context.Background(), 4, 1, 0)
	y, _ := avg.Generate(context.Background(), 4, 1, 0)
	if equalF(x[0], y[0], 1e-4) {
		t.Error("the moving average samples the same image as the last weights")
	}
}

// The plain recipe has no augmentation; its checkpoint still carries an average.
func TestRecipes(t *testing.T) {
	d, err := RecipeByName(RecipeDCGAN)
	if err != nil || d.Augment || d.SampleEMA || d.Validate() != nil {
		t.Fatalf("dcgan: %+v %v", d, err)
	}
	a, err := RecipeByName(RecipeAugmented)
	if err != nil || !a.Augment || a.Validate() != nil {
		t.Fatalf("augmented: %+v %v", a, err)
	}
	if _, err := RecipeByName("stylegan"); err == nil {
		t.Error("unknown recipe accepted")
	}
	for _, n := range []int{20, 104, 1762, 100000} {
		s := DefaultSteps(n, 64)
		if s < 2000 || s > 6000 {
			t.Errorf("DefaultSteps(%d) = %d", n, s)
		}
	}
}
