package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/raysynth/raysynth/internal/fsutil"
	"github.com/raysynth/raysynth/internal/progress"
	"github.com/raysynth/raysynth/internal/workspace"
)

// File names under classifier/.
const (
	ClassifierModelFile   = "classifier.ckpt" // the trained model (best validation epoch)
	ClassifierStateFile   = "checkpoint.ckpt" // training state, for resuming
	ClassifierSummaryFile = "summary.json"    // what was trained on what, and how it went
)

// Classifier training defaults.
const (
	DefaultClassifierEpochs   = 20
	DefaultClassifierBatch    = 32
	DefaultClassifierLR       = 1e-3
	DefaultValidationFraction = 0.15
	DefaultPatience           = 5
)

// ClassifierConfig configures [TrainClassifier].
type ClassifierConfig struct {
	Workspace     *workspace.Workspace
	Epochs        int     // at most this many epochs
	Batch         int     // images per step
	LR            float64 // Adam learning rate (β1 0.9)
	Seed          uint64
	Size          int             // image side to train at; 0: the workspace's (larger images are averaged down)
	ClassWeighted bool            // weight the loss by N / (K·n_class)
	Oversample    bool            // repeat minority-class images up to the majority count each epoch
	WithSynthetic string          // "", SyntheticApproved or SyntheticCandidates: add that set to training
	ValFraction   float64         // share of train patients carved out for early stopping (0 = none)
	Patience      int             // epochs without a better validation loss before stopping (0 = never)
	NoAugment     bool            // switch off shifts, rotations and contrast changes
	Restart       bool            // discard a checkpoint made with other settings instead of refusing
	Arch          *ClassifierArch // nil: DefaultClassifierArch for the workspace
	CodeVersion   string
	Precision     Precision // of the training's matrix products (FP32 unless set; see ResolvePrecision)
	Progress      progress.Reporter
	Log           *slog.Logger
}

// Validate checks the configuration.
func (c ClassifierConfig) Validate() error {
	if c.Workspace == nil {
		return errors.New("no workspace")
	}
	if c.Epochs < 1 {
		return fmt.Errorf("epochs %d: want at least 1", c.Epochs)
	}
	if c.Batch < 2 {
		return fmt.Errorf("batch %d: want at least 2 (BatchNorm)", c.Batch)
	}
	if !(c.LR > 0 && c.LR < 1) {
		return fmt.Errorf("learning rate %g: want a number in (0, 1), e.g. 0.001", c.LR)
	}
	switch c.WithSynthetic {
	case "", SyntheticApproved, SyntheticCandidates:
	default:
		return fmt.Errorf("synthetic set %q: want %s or %s", c.WithSynthetic, SyntheticApproved, SyntheticCandidates)
	}
	if !(c.ValFraction >= 0 && c.ValFraction <= 0.5) {
		return fmt.Errorf("validation fraction %g: want 0 to 0.5", c.ValFraction)
	}
	if c.Patience < 0 {
		return fmt.Errorf("patience %d is negative", c.Patience)
	}
	if c.Size != 0 && (c.Size < 16 || c.Size > 1024) {
		return fmt.Errorf("image size %d: want 16 to 1024 (e.g. 64)", c.Size)
	}
	if c.ClassWeighted && c.Oversample {
		return errors.New("class weighting and oversampling both correct for imbalance: choose one")
	}
	if c.Arch != nil {
		return c.Arch.Validate()
	}
	return nil
}

// ClassifierSummary is classifier/summary.json.
type ClassifierSummary struct {
	Classes       []string       `json:"classes"`
	Arch          ClassifierArch `json:"arch"`
	Seed          uint64         `json:"seed"`
	Epochs        int            `json:"epochs"`
	EpochsRun     int            `json:"epochs_run"`
	BestEpoch     int            `json:"best_epoch"`
	StoppedEarly  bool           `json:"stopped_early"`
	Batch         int            `json:"batch"`
	LR            float64        `json:"lr"`
	ClassWeighted bool           `json:"class_weighted"`
	Oversample    bool           `json:"oversample"`
	Augment       bool           `json:"augment"`
	Synthetic     string         `json:"synthetic,omitempty"`
	TrainReal     map[string]int `json:"train_real"`
	TrainSynth    map[string]int `json:"train_synthetic,omitempty"`
	Validation    map[string]int `json:"validation"`
	Last          EpochStat      `json:"last_epoch"`
	Best          EpochStat      `json:"best_epoch_stats"`
	Fingerprint   string         `json:"fingerprint"`
	CodeVersion   string         `json:"code_version"`
	Precision     string         `json:"precision"` // of the training's matrix products: fp32 or bf16
	Model         string         `json:"model"`     // file name under classifier/
	ModelSHA256   string         `json:"model_sha256"`
	Resumed       bool           `json:"resumed"`
	Seconds       float64        `json:"seconds"`
	Finished      string         `json:"finished"`
}

// TrainClassifier trains the classifier on the workspace's real train split (optionally plus a
// synthetic set), with early stopping on a validation subset carved from the train patients, and
// writes classifier/classifier.ckpt and classifier/summary.json. The holdout split is never read.
// A run interrupted after an epoch resumes from classifier/checkpoint.ckpt.
func TrainClassifier(ctx context.Context, cfg ClassifierConfig) (*ClassifierSummary, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	start := time.Now()
	w := cfg.Workspace
	meta, err := w.LoadMeta()
	if err != nil {
		return nil, err
	}
	size := meta.ImageSize
	if cfg.Size != 0 {
		size = cfg.Size
	}
	arch := DefaultClassifierArch(size, len(meta.Classes))
	if cfg.Arch != nil {
		arch = *cfg.Arch
	}
	if arch.Size != size || arch.Classes != len(meta.Classes) {
		return nil, fmt.Errorf("architecture for %d×%d and %d classes, training at %d×%d with %d", arch.Size, arch.Size, arch.Classes, size, size, len(meta.Classes))
	}
	if err := arch.Validate(); err != nil {
		return nil, err
	}
	real, err := LoadReal(w, meta.Classes, size, workspace.SplitTrain)
	if err != nil {
		return nil, err
	}
	trainEx, valEx := SplitValidation(real, cfg.ValFraction, cfg.Seed)
	var synth []Example
	if cfg.WithSynthetic != "" {
		var skipped map[string]int
		if synth, skipped, err = LoadSynthetic(w, cfg.WithSynthetic, meta.Classes, size); err != nil {
			return nil, err
		}
		for c, n := range skipped {
			cfg.logger().Warn("synthetic images of a class the workspace does not have were skipped", "class", c, "images", n)
		}
		trainEx = append(trainEx, synth...)
	}
	if len(trainEx) < 2 {
		return nil, fmt.Errorf("%s: %d training images; ingest more data", w.RealIndexPath(), len(trainEx))
	}
	rep := progress.OrNop(cfg.Progress)
	steps := cfg.Epochs * (StepsPerEpoch(trainEx, len(meta.Classes), cfg.Oversample, cfg.Batch))
	task := rep.Start("classifier", int64(steps), "steps")
	defer task.Done()
	dir := w.ClassifierDir()
	res, err := Fit(ctx, FitConfig{Arch: arch, Classes: meta.Classes, Epochs: cfg.Epochs, Batch: cfg.Batch, LR: cfg.LR,
		Seed: cfg.Seed, Weighted: cfg.ClassWeighted, Oversample: cfg.Oversample, Augment: !cfg.NoAugment,
		Patience: cfg.Patience, Checkpoint: filepath.Join(dir, ClassifierStateFile), Restart: cfg.Restart,
		CodeVersion: cfg.CodeVersion, Precision: cfg.Precision, Task: task, Log: cfg.logger()}, trainEx, valEx)
	if err != nil {
		return nil, err
	}
	sha, err := writeClassifierModel(filepath.Join(dir, ClassifierModelFile), res.model, res.meta)
	if err != nil {
		return nil, err
	}
	named := func(counts []int) map[string]int {
		m := map[string]int{}
		for i, n := range counts {
			m[meta.Classes[i]] = n
		}
		return m
	}
	k := len(meta.Classes)
	realCounts := make([]int, k)
	for _, e := range trainEx {
		if !e.Synthetic() {
			realCounts[e.Class()]++
		}
	}
	sum := &ClassifierSummary{Classes: meta.Classes, Arch: arch, Seed: cfg.Seed, Epochs: cfg.Epochs, EpochsRun: res.meta.Epoch,
		BestEpoch: res.meta.BestEpoch, StoppedEarly: res.meta.StoppedEarly, Batch: res.meta.Batch, LR: cfg.LR,
		ClassWeighted: cfg.ClassWeighted, Oversample: cfg.Oversample, Augment: !cfg.NoAugment, Synthetic: cfg.WithSynthetic,
		TrainReal: named(realCounts), Validation: named(res.meta.ValCounts), Fingerprint: res.meta.Fingerprint,
		CodeVersion: cfg.CodeVersion, Precision: recordedPrecision(res.meta.Precision), Model: ClassifierModelFile, ModelSHA256: sha, Resumed: res.resumed,
		Seconds: time.Since(start).Seconds(), Finished: time.Now().UTC().Format(time.RFC3339)}
	if len(synth) > 0 {
		sum.TrainSynth = named(ClassCounts(synth, k))
	}
	if h := res.meta.History; len(h) > 0 {
		sum.Last = h[len(h)-1]
		if b := res.meta.BestEpoch; b >= 1 && b <= len(h) {
			sum.Best = h[b-1]
		}
	}
	b, err := json.MarshalIndent(sum, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := fsutil.WriteFile(filepath.Join(dir, ClassifierSummaryFile), append(b, '\n'), 0o644); err != nil {
		return nil, err
	}
	return sum, nil
}

func (c ClassifierConfig) logger() *slog.Logger {
	if c.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Log
}

// stepsPerEpoch is the number of optimiser steps in one epoch.
func StepsPerEpoch(ex []Example, k int, oversample bool, batch int) int {
	n := len(ex)
	if oversample {
		counts := ClassCounts(ex, k)
		n = 0
		most := slices.Max(counts)
		for _, c := range counts {
			if c > 0 {
				n += most
			}
		}
	}
	batch = min(batch, len(ex))
	return (n + batch - 1) / batch
}

// writeClassifierModel writes the model's weights and statistics (no optimiser state) and
// returns the file's sha256.
func writeClassifierModel(path string, m *cnn, meta classifierMeta) (string, error) {
	meta.History = nil
	raw, err := json.Marshal(meta)
	if err != nil {
		return "", err
	}
	return WriteCheckpoint(path, &Checkpoint{Kind: classifierKind, Meta: raw, Tensors: cnnTensors("", m)})
}

// Classifier is a trained classifier. Its methods are safe for concurrent use (calls run one at
// a time). Its Embed and Name methods make it an embedding for the privacy checks.
type Classifier struct {
	m       *cnn
	classes []string
	name    string

	mu sync.Mutex
	ev *evalNet
}

// LoadClassifier reads a model written by [TrainClassifier] (classifier/classifier.ckpt).
func LoadClassifier(path string) (*Classifier, error) {
	c, sha, err := ReadCheckpoint(path)
	if err != nil {
		return nil, err
	}
	if c.Kind != classifierKind {
		return nil, fmt.Errorf("read classifier %s: checkpoint kind %q, want %q: %w", path, c.Kind, classifierKind, ErrBadCheckpoint)
	}
	var meta classifierMeta
	if err := json.Unmarshal(c.Meta, &meta); err != nil {
		return nil, fmt.Errorf("read classifier %s: metadata: %v: %w", path, err, ErrBadCheckpoint)
	}
	if err := meta.Arch.Validate(); err != nil || len(meta.Classes) != meta.Arch.Classes {
		return nil, fmt.Errorf("read classifier %s: architecture: %v: %w", path, err, ErrBadCheckpoint)
	}
	m := newCNN(meta.Arch, rand.New(rand.NewPCG(0, 0)))
	if err := loadInto(c, cnnTensors("", m)); err != nil {
		return nil, fmt.Errorf("read classifier %s: %w", path, err)
	}
	return newClassifier(m, meta.Classes, sha), nil
}

func newClassifier(m *cnn, classes []string, sha string) *Classifier {
	if len(sha) > 12 {
		sha = sha[:12]
	}
	return &Classifier{m: m, classes: slices.Clone(classes), name: "raysynth-classifier-penultimate/" + sha}
}

// Classes returns the class names, in the order of [Classifier.Predict]'s columns.
func (c *Classifier) Classes() []string { return slices.Clone(c.classes) }

// Size returns the image side the classifier takes.
func (c *Classifier) Size() int { return c.m.arch.Size }

// Name identifies the embedding: the penultimate layer of this classifier (by weights digest).
func (c *Classifier) Name() string { return c.name }

// Embed returns each image's penultimate-layer activations (the classifier's image embedding).
// Images are float32 values in [-1, 1], row-major, Size×Size or an integer multiple of it
// (averaged down, as training did).
func (c *Classifier) Embed(ctx context.Context, images [][]float32) ([][]float32, error) {
	emb, _, err := c.run(ctx, images)
	return emb, err
}

// Predict returns each image's class probabilities (columns in [Classifier.Classes] order).
func (c *Classifier) Predict(ctx context.Context, images [][]float32) ([][]float64, error) {
	_, p, err := c.run(ctx, images)
	return p, err
}

// EmbedExamples is [Classifier.Embed] over examples, reading their pixels a block at a time.
func (c *Classifier) EmbedExamples(ctx context.Context, ex []Example) ([][]float32, error) {
	emb, _, err := c.runExamples(ctx, ex)
	return emb, err
}

// PredictExamples is [Classifier.Predict] over examples, reading their pixels a block at a time.
func (c *Classifier) PredictExamples(ctx context.Context, ex []Example) ([][]float64, error) {
	_, p, err := c.runExamples(ctx, ex)
	return p, err
}

// exampleBlock is how many examples runExamples holds as float32 pixels at a time.
const exampleBlock = 256

func (c *Classifier) runExamples(ctx context.Context, ex []Example) (emb [][]float32, probs [][]float64, err error) {
	bufs := make([][]float32, exampleBlock)
	imgs := make([][]float32, 0, exampleBlock)
	for i := 0; i < len(ex); i += exampleBlock {
		imgs = imgs[:0]
		for j, e := range ex[i:min(i+exampleBlock, len(ex))] {
			px, err := e.Pixels(bufs[j])
			if err != nil {
				return nil, nil, err
			}
			bufs[j] = px
			imgs = append(imgs, px)
		}
		e, p, err := c.run(ctx, imgs)
		if err != nil {
			return nil, nil, err
		}
		emb, probs = append(emb, e...), append(probs, p...)
	}
	return emb, probs, nil
}

func (c *Classifier) run(ctx context.Context, images [][]float32) ([][]float32, [][]float64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ev == nil {
		ev, err := newEvalNet(c.m, 64)
		if err != nil {
			return nil, nil, err
		}
		c.ev = ev
	}
	size := c.m.arch.Size
	var in [][]float32 // a copy of the list, made when the first image needs shrinking
	for i, img := range images {
		if len(img) == size*size {
			continue
		}
		if in == nil {
			in = slices.Clone(images)
		}
		small, err := shrink(img, size)
		if err != nil {
			return nil, nil, fmt.Errorf("image %d: %w", i, err)
		}
		in[i] = small
	}
	if in == nil {
		in = images
	}
	return infer(ctx, c.ev, in)
}

// shrink averages a square image of side k·size down to size×size.
func shrink(img []float32, size int) ([]float32, error) {
	side := int(math.Round(math.Sqrt(float64(len(img)))))
	if side*side != len(img) || side < size || side%size != 0 {
		return nil, fmt.Errorf("%d pixels: the classifier takes %d×%d images or square multiples of that size", len(img), size, size)
	}
	k := side / size
	out := make([]float32, size*size)
	inv := 1 / float32(k*k)
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			var s float32
			for dy := 0; dy < k; dy++ {
				row := img[(y*k+dy)*side+x*k:]
				for dx := 0; dx < k; dx++ {
					s += row[dx]
				}
			}
			out[y*size+x] = s * inv
		}
	}
	return out, nil
}

// Close releases the classifier's compiled network.
func (c *Classifier) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ev != nil {
		c.ev.close()
		c.ev = nil
	}
	return nil
}

// EmbeddingDim is the length of the vectors [Classifier.Embed] returns (the penultimate layer).
func (c *Classifier) EmbeddingDim() int { return c.m.arch.Hidden }
