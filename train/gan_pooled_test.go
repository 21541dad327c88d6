package train

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/raysynth/raysynth/internal/workspace"
	"github.com/raysynth/raysynth/internal/workspace/wstest"
)

func pooledConfig(t *testing.T) GANConfig {
	c := tinyConfig(tinyWorkspace(t, 32, map[string]int{"normal": 8, "edema": 8}), 0)
	c.Init, c.PooledSteps, c.Steps = InitPooled, 7, 3 // pooled: 4 steps per epoch; a class: 2
	return c
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A run that starts its classes from the pooled generator, interrupted once inside the pooled
// training and once inside a class's fine-tuning, then run again, ends with the same pooled and
// class checkpoints as an uninterrupted run; each class records the pooled generator it started
// from.
func TestPooledInitResumesToSameWeights(t *testing.T) {
	saved := minCheckpointSteps
	minCheckpointSteps = 2
	defer func() { minCheckpointSteps = saved }()

	a := pooledConfig(t)
	res, err := TrainGAN(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	if res.Pooled == nil || res.Pooled.Status != "trained" || res.Pooled.Steps != 7 || res.Pooled.TrainImages != 16 || res.Pooled.TrainPatients != 8 {
		t.Fatalf("pooled: %+v", res.Pooled)
	}
	ps := res.Pooled.Summary
	for _, c := range res.Classes {
		in := c.Summary.Init
		if c.Steps != 3 || in == nil || in.From != InitPooled || in.Steps != 7 || in.TrainFingerprint != ps.TrainFingerprint ||
			in.TrainImages != 16 || in.CheckpointSHA256 != ps.CheckpointSHA256 || in.Checkpoint != "gan-pooled/checkpoint.ckpt" {
			t.Errorf("class %s: steps %d, init %+v (pooled summary %+v)", c.Class, c.Steps, in, ps)
		}
		if c.Summary.TrainFingerprint == ps.TrainFingerprint || c.TrainImages != 8 {
			t.Errorf("class %s trained on %d images, fingerprint %s: not its own films", c.Class, c.TrainImages, c.Summary.TrainFingerprint)
		}
	}
	all, err := loadTrainSet(a.Workspace, mustIndex(t, a.Workspace), "", 32, false)
	if err != nil {
		t.Fatal(err)
	}
	if ps.TrainFingerprint != all.fingerprint {
		t.Errorf("pooled fingerprint %s, every class's train films %s", ps.TrainFingerprint, all.fingerprint)
	}

	// the same workspace
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(a.Workspace.Dir)); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{PooledDir, "gan"} {
		if err := os.RemoveAll(filepath.Join(dir, d)); err != nil {
			t.Fatal(err)
		}
	}
	b := a
	if b.Workspace, err = workspace.Open(dir); err != nil {
		t.Fatal(err)
	}
	// after pooled step 5 (its checkpoint is at step 4); then after the first class's step 2 (its
	// first checkpoint) once the resumed pooled generator has made its last 3 steps
	for i, want := range []struct {
		path  string
		steps int64
	}{{filepath.Join(PooledDir, CheckpointFile), 4}, {filepath.Join("gan", res.Classes[0].Class, CheckpointFile), 2}} {
		ctx, cancel := context.WithCancel(context.Background())
		b.Progress = &wstest.CancelAfter{N: 5, Cancel: cancel}
		if _, err := TrainGAN(ctx, b); !errors.Is(err, context.Canceled) {
			t.Fatalf("run %d interrupted after 5 steps: %v", i+1, err)
		}
		cancel()
		c, _, err := ReadCheckpoint(b.Workspace.Path(want.path))
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := ganFromCheckpoint(c)
		if err != nil || got.Steps != want.steps {
			t.Fatalf("after interruption %d: %s at step %d (%v), want %d", i+1, want.path, got.Steps, err, want.steps)
		}
	}
	b.Progress = nil
	resB, err := TrainGAN(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	if resB.Pooled.Status != "up-to-date" {
		t.Errorf("pooled after the interruptions: %+v", resB.Pooled)
	}
	for _, p := range []string{
		filepath.Join(PooledDir, CheckpointFile),
		filepath.Join("gan", "normal", CheckpointFile),
		filepath.Join("gan", "edema", CheckpointFile),
	} {
		if !bytes.Equal(readFile(t, a.Workspace.Path(p)), readFile(t, b.Workspace.Path(p))) {
			t.Errorf("%s: the interrupted run's checkpoint differs from the uninterrupted run's", p)
		}
	}

	// more pooled steps: the pooled generator resumes, and the classes made from the old one
	// are refused until restarted
	b.PooledSteps = 9
	if _, err := TrainGAN(context.Background(), b); !errors.Is(err, ErrCheckpointMismatch) || errors.Is(err, ErrPooledMismatch) {
		t.Fatalf("classes started from a 7-step pooled generator, run asks 9: %v", err)
	}
	b.Restart = true
	res7, err := TrainGAN(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	if res7.Pooled.Status != "up-to-date" || res7.Pooled.Steps != 9 || res7.Classes[0].Summary.Init.Steps != 9 {
		t.Errorf("after --restart: pooled %+v, class init %+v", res7.Pooled, res7.Classes[0].Summary.Init)
	}
	// fewer pooled steps than the kept generator has: refused; with Restart it is trained again,
	// to the same weights as the uninterrupted 7-step run
	b.PooledSteps, b.Restart = 7, false
	if _, err := TrainGAN(context.Background(), b); !errors.Is(err, ErrPooledMismatch) {
		t.Fatalf("pooled generator of 9 steps, run asks 7: %v", err)
	}
	b.Restart = true
	res7, err = TrainGAN(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	if res7.Pooled.Status != "trained" || res7.Pooled.Steps != 7 {
		t.Errorf("pooled generator trained again: %+v", res7.Pooled)
	}
	if p := filepath.Join(PooledDir, CheckpointFile); !bytes.Equal(readFile(t, a.Workspace.Path(p)), readFile(t, b.Workspace.Path(p))) {
		t.Errorf("%s trained again differs from the first 7-step run's", p)
	}
	// other settings with Restart: the pooled generator is trained again
	b.LR = 1e-4
	resLR, err := TrainGAN(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	if resLR.Pooled.Status != "trained" || resLR.Classes[0].Summary.Init.CheckpointSHA256 == res7.Pooled.Summary.CheckpointSHA256 {
		t.Errorf("pooled generator with another learning rate: %+v", resLR.Pooled)
	}
	// from scratch: the classes made from the pooled generator are refused
	b.Init, b.Restart = InitScratch, false
	if _, err := TrainGAN(context.Background(), b); !errors.Is(err, ErrCheckpointMismatch) {
		t.Fatalf("pooled-start checkpoints resumed from scratch: %v", err)
	}
}

func mustIndex(t *testing.T, w *workspace.Workspace) []workspace.RealImage {
	t.Helper()
	rows, err := w.ReadRealIndex()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// A class starts from the pooled generator's weights: with a learning rate too small to move
// them, its generator is the pooled one, and not what a class started from scratch gets.
func TestPooledInitStartsFromPooledWeights(t *testing.T) {
	cfg := pooledConfig(t)
	cfg.LR, cfg.PooledSteps, cfg.Steps = 1e-12, 1, 1
	if _, err := TrainGAN(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	g := func(path string) []float32 {
		t.Helper()
		c, _, err := ReadCheckpoint(path)
		if err != nil {
			t.Fatal(err)
		}
		_, m, err := ganFromCheckpoint(c)
		if err != nil {
			t.Fatal(err)
		}
		var out []float32
		for _, p := range m.gParams() {
			out = append(out, p.Data...)
		}
		return out
	}
	pooled := g(cfg.Workspace.Path(PooledDir, CheckpointFile))
	edema := g(filepath.Join(cfg.Workspace.GANDir("edema"), CheckpointFile))
	if !equalF(pooled, edema, 1e-6) {
		t.Error("the class's generator did not start from the pooled generator's weights")
	}
	scratch := pooledConfig(t)
	scratch.LR, scratch.Steps, scratch.Init = 1e-12, 1, InitScratch
	if _, err := TrainGAN(context.Background(), scratch); err != nil {
		t.Fatal(err)
	}
	if equalF(pooled, g(filepath.Join(scratch.Workspace.GANDir("edema"), CheckpointFile)), 1e-3) {
		t.Error("a class started from scratch has the pooled generator's weights")
	}
}

func TestPooledInitRefusesDP(t *testing.T) {
	cfg := pooledConfig(t)
	cfg.DP = &DPConfig{Epsilon: 8, Clip: 1, MaxFilms: 8}
	if _, err := TrainGAN(context.Background(), cfg); !errors.Is(err, ErrPooledDP) {
		t.Fatalf("pooled start with DP: %v, want %v", err, ErrPooledDP)
	}
	if _, err := os.Stat(cfg.Workspace.Path(PooledDir)); !os.IsNotExist(err) {
		t.Errorf("a refused run left %s", cfg.Workspace.Path(PooledDir))
	}
}
