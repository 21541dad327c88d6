package train

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/raysynth/raysynth/internal/progress"
	"github.com/raysynth/raysynth/internal/workspace"
)

// How a class's generator starts ([GANConfig].Init).
const (
	// InitScratch starts every class from random weights (the default).
	InitScratch = "scratch"
	// InitPooled first trains one generator and discriminator on the train films of every class
	// of the workspace pooled together, then starts each class from those weights and
	// fine-tunes them on the class's own films: a rare class borrows the anatomy the common
	// classes teach.
	InitPooled = "pooled"
)

// Inits lists the values of [GANConfig].Init.
var Inits = []string{InitScratch, InitPooled}

// PooledDir is the workspace folder of the pooled generator (beside gan/, so that nothing
// that reads gan/<class>/ mistakes it for a class).
const PooledDir = "gan-pooled"

// PooledName is the pooled generator's name in results, logs and its summary.json.
const PooledName = "pooled"

// DefaultPooledSteps is the pooled generator's step budget when none is given.
const DefaultPooledSteps = 2000

// ErrPooledMismatch is returned when the pooled generator's checkpoint was made with other
// settings, another training set or more steps than the run asks for. It wraps
// [ErrCheckpointMismatch].
var ErrPooledMismatch = fmt.Errorf("pooled generator's %w", ErrCheckpointMismatch)

// ErrPooledDP is returned for a differentially private run that asks to start from the pooled
// generator.
var ErrPooledDP = errors.New("a pooled start cannot be combined with differential privacy")

// PooledInit records the pooled generator a class started from, in the class's checkpoint and
// summary.json (and so in a release's provenance): its steps, the fingerprint of its training
// index (every class's train films) and its checkpoint's SHA-256.
type PooledInit struct {
	From             string `json:"from"` // InitPooled
	Steps            int64  `json:"steps"`
	TrainFingerprint string `json:"train_fingerprint"`
	TrainImages      int    `json:"train_images"`
	TrainPatients    int    `json:"train_patients"`
	Checkpoint       string `json:"checkpoint"` // relative to the workspace
	CheckpointSHA256 string `json:"checkpoint_sha256"`
}

func (c GANConfig) validateInit() error {
	switch c.Init {
	case "", InitScratch:
		return nil
	case InitPooled:
	default:
		return fmt.Errorf("init %q: want %s or %s", c.Init, InitScratch, InitPooled)
	}
	if c.PooledSteps < 1 {
		return fmt.Errorf("pooled steps %d: want at least 1", c.PooledSteps)
	}
	if c.DP != nil {
		// The pooled generator is trained without noise on every class's patients, the class's
		// own included: no ε of the fine-tuning would bound what its generator reveals.
		return fmt.Errorf("%w: the pooled generator is trained without it on every patient", ErrPooledDP)
	}
	return nil
}

// trainPooled trains (or resumes, or finds up to date) the pooled generator on every class's
// train films for exactly cfg.PooledSteps steps, and returns what the classes start from. With
// cfg.Restart a pooled generator that matches the run is kept (resumed if shorter) and one made
// with other settings or more steps is trained again.
func trainPooled(ctx context.Context, cfg GANConfig, log *slog.Logger, rep progress.Reporter, rows []workspace.RealImage) (*GANClassResult, *PooledInit, error) {
	r, init, err := trainPooledOnce(ctx, cfg, log, rep, rows)
	if cfg.Restart && errors.Is(err, ErrPooledMismatch) {
		dir := cfg.Workspace.Path(PooledDir)
		log.Info("pooled generator made with other settings: training it again", "error", err.Error())
		if err := os.RemoveAll(dir); err != nil {
			return nil, nil, fmt.Errorf("remove %s: %w", dir, err)
		}
		return trainPooledOnce(ctx, cfg, log, rep, rows)
	}
	return r, init, err
}

func trainPooledOnce(ctx context.Context, cfg GANConfig, log *slog.Logger, rep progress.Reporter, rows []workspace.RealImage) (*GANClassResult, *PooledInit, error) {
	w := cfg.Workspace
	job := ganJob{class: PooledName, dir: w.Path(PooledDir), pooled: true}
	r, err := trainClass(ctx, cfg, log, progress.InPart(rep, "model", 1, 1), rows, job)
	if err != nil {
		return r, nil, err
	}
	if r.Status == "skipped" {
		return r, nil, fmt.Errorf("%s", r.Reason)
	}
	if r.Steps != int64(cfg.PooledSteps) {
		return r, nil, fmt.Errorf("%s has %d steps, the run asks %d: %w",
			filepath.Join(job.dir, CheckpointFile), r.Steps, cfg.PooledSteps, ErrPooledMismatch)
	}
	s := r.Summary
	return r, &PooledInit{From: InitPooled, Steps: s.Steps, TrainFingerprint: s.TrainFingerprint, TrainImages: s.TrainImages,
		TrainPatients: s.TrainPatients, Checkpoint: PooledDir + "/" + CheckpointFile, CheckpointSHA256: s.CheckpointSHA256}, nil
}

// model reads the pooled generator's weights (generator, discriminator and BatchNorm
// statistics; not its optimiser state) after checking they are the ones recorded.
func (p *PooledInit) model(w *workspace.Workspace, arch Arch) (*dcgan, error) {
	path := w.Path(filepath.FromSlash(p.Checkpoint))
	c, sha, err := ReadCheckpoint(path)
	if err != nil {
		return nil, err
	}
	if sha != p.CheckpointSHA256 {
		return nil, fmt.Errorf("%s changed while training: %w", path, ErrPooledMismatch)
	}
	meta, m, err := ganFromCheckpoint(c)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if meta.Arch != arch {
		return nil, fmt.Errorf("%s: size %d (run asks %d): %w", path, meta.Arch.Size, arch.Size, ErrPooledMismatch)
	}
	return m, nil
}

// initDiff says how a checkpoint's start differs from the run's, or "".
func initDiff(got, want *PooledInit) string {
	switch {
	case got == nil && want == nil:
		return ""
	case got == nil:
		return "random initial weights (run asks the pooled generator's)"
	case want == nil:
		return "the pooled generator's initial weights (run asks random ones)"
	case *got != *want:
		return fmt.Sprintf("started from another pooled generator (%d steps, checkpoint %.12s; run asks %d steps, %.12s)",
			got.Steps, got.CheckpointSHA256, want.Steps, want.CheckpointSHA256)
	}
	return ""
}
