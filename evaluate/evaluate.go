package evaluate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/raysynth/raysynth/train"
	"io/fs"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/raysynth/raysynth/internal/fsutil"
	"github.com/raysynth/raysynth/internal/metrics"
	"github.com/raysynth/raysynth/internal/progress"
	"github.com/raysynth/raysynth/internal/workspace"
)

// Training regimes of the evaluation.
const (
	RegimeReal        = "a" // real images only
	RegimeBalanced    = "b" // real plus synthetic images, each class topped up to the majority count
	RegimeSynthetic   = "c" // synthetic images only (train on synthetic, test on real)
	RegimeWeighted    = "d" // real images only, class-weighted loss
	RegimeOversampled = "e" // real images only, minority classes oversampled
)

// RegimeNames describes each regime for reports.
var RegimeNames = map[string]string{
	RegimeReal:        "real only",
	RegimeBalanced:    "real + synthetic, balanced",
	RegimeSynthetic:   "synthetic only",
	RegimeWeighted:    "real, class-weighted loss",
	RegimeOversampled: "real, minority oversampling",
}

// How regime (b) evens out the classes that synthetic images left unbalanced (Config.BalancedRebalance).
const (
	RebalanceWeighted   = "weighted"
	RebalanceOversample = "oversample"
)

// How regime (b) mixes synthetic images into the real ones (Config.BalancedMix).
const (
	// MixTopUp tops every class up to the majority class's real count with synthetic images: the
	// rarer the class, the larger its synthetic share (0 for the majority class).
	MixTopUp = "topup"
	// MixEqual repeats every class's real images up to the majority count, as regime (e) does,
	// and adds the same number of synthetic images to every class (as many as the class with the
	// fewest has), so every class has the same synthetic share and looking synthetic says
	// nothing about the class.
	MixEqual = "equal"
)

// AllRegimes lists the regimes in report order.
var AllRegimes = []string{RegimeReal, RegimeBalanced, RegimeSynthetic, RegimeWeighted, RegimeOversampled}

// Files under eval/.
const (
	EvalReportJSON = "report.json"
	EvalReportMD   = "report.md"
	EvalChart      = "sensitivity.png"
	EvalRunsDir    = "runs" // one record per finished (regime, repeat); a rerun skips them
)

// Config configures [Run].
type Config struct {
	Workspace     *workspace.Workspace
	TestWorkspace *workspace.Workspace // optional external test set (all its images)
	Repeats       int                  // models per regime, each with its own seed
	Epochs        int
	Batch         int
	LR            float64
	Seed          uint64
	Size          int    // image side; 0: the workspace's (larger images are averaged down)
	Synthetic     string // train.SyntheticApproved or train.SyntheticCandidates, for regimes b and c
	// SyntheticPerReal caps regime (b)'s synthetic images of a class at this many per real train
	// image of the class (0: no cap, every class topped up to the majority count). With MixEqual it
	// sets every class's synthetic examples to this many per real example (the majority count),
	// repeating synthetic images as needed (0: as many as the class with the fewest has).
	SyntheticPerReal float64
	// BalancedRebalance evens out what regime (b) leaves unbalanced: "" (nothing), RebalanceWeighted
	// (class-weighted loss over real + synthetic) or RebalanceOversample (minority classes repeated).
	BalancedRebalance string
	// BalancedMix is how regime (b) mixes synthetic into real images: MixTopUp or MixEqual
	// ("": MixTopUp). MixEqual takes no BalancedRebalance: it is balanced.
	BalancedMix string
	// KeepModels keeps every model this run trains as eval/runs/NAME.model, for inspection with
	// train.LoadClassifier (the first real-only model is always kept: the fidelity embedding). A
	// finished run reused without a model stays reused: delete its record to retrain it.
	KeepModels bool
	// OnlyRepeat (1-based) trains only that repeat's models and writes no report, so the repeats
	// can run in parallel processes; a run without it then reuses them all and writes the report.
	OnlyRepeat  int
	Regimes     []string // nil: all of AllRegimes
	ValFraction float64
	Patience    int
	NoAugment   bool
	Resamples   int // paired bootstrap resamples (0: 2000)
	MinSupport  int // fewest test images of a class for its metrics (0: metrics.DefaultMinSupport)
	Arch        *train.ClassifierArch
	CodeVersion string
	Progress    progress.Reporter
	Log         *slog.Logger
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if c.Workspace == nil {
		return errors.New("no workspace")
	}
	if c.Repeats < 1 || c.Repeats > 100 {
		return fmt.Errorf("repeats %d: want 1 to 100 (3 or more for a standard deviation worth reading)", c.Repeats)
	}
	cc := train.ClassifierConfig{Workspace: c.Workspace, Size: c.Size, Epochs: c.Epochs, Batch: c.Batch, LR: c.LR, ValFraction: c.ValFraction, Patience: c.Patience, Arch: c.Arch}
	if err := cc.Validate(); err != nil {
		return err
	}
	if c.SyntheticPerReal < 0 || math.IsNaN(c.SyntheticPerReal) || math.IsInf(c.SyntheticPerReal, 0) {
		return fmt.Errorf("synthetic images per real image %v: want 0 (no cap) or more", c.SyntheticPerReal)
	}
	switch c.BalancedRebalance {
	case "", RebalanceWeighted, RebalanceOversample:
	default:
		return fmt.Errorf("rebalancing of (b) %q: want none, %s or %s", c.BalancedRebalance, RebalanceWeighted, RebalanceOversample)
	}
	switch c.BalancedMix {
	case "", MixTopUp:
	case MixEqual:
		if c.BalancedRebalance != "" {
			return fmt.Errorf("regime b mixed %s is balanced already: it takes no rebalancing", MixEqual)
		}
	default:
		return fmt.Errorf("mixing of (b) %q: want %s or %s", c.BalancedMix, MixTopUp, MixEqual)
	}
	if c.Synthetic != train.SyntheticApproved && c.Synthetic != train.SyntheticCandidates {
		return fmt.Errorf("synthetic set %q: want %s or %s", c.Synthetic, train.SyntheticApproved, train.SyntheticCandidates)
	}
	for _, r := range c.Regimes {
		if _, ok := RegimeNames[r]; !ok {
			return fmt.Errorf("regime %q: want some of a, b, c, d, e", r)
		}
	}
	if c.OnlyRepeat < 0 || c.OnlyRepeat > c.Repeats {
		return fmt.Errorf("repeat %d: want 1 to %d (the number of repeats)", c.OnlyRepeat, c.Repeats)
	}
	if c.Resamples != 0 && c.Resamples < 100 {
		return fmt.Errorf("%d bootstrap resamples: use at least 100", c.Resamples)
	}
	if c.MinSupport < 0 {
		return fmt.Errorf("minimum support %d is negative", c.MinSupport)
	}
	return nil
}

func (c Config) regimes() []string {
	if len(c.Regimes) == 0 {
		return AllRegimes
	}
	var out []string
	for _, r := range AllRegimes {
		if slices.Contains(c.Regimes, r) {
			out = append(out, r)
		}
	}
	return out
}

// regimeName is RegimeNames[reg], except that a (b) made with MixEqual says so, so that the
// report's tables and its chart's legend name the mix they show.
func (c Config) regimeName(reg string) string {
	if reg == RegimeBalanced && c.balancedMix() == MixEqual {
		return "real + synthetic, same share per class"
	}
	return RegimeNames[reg]
}

func (c Config) balancedMix() string {
	if c.BalancedMix == "" {
		return MixTopUp
	}
	return c.BalancedMix
}

func (c Config) needsSynthetic() bool {
	for _, r := range c.regimes() {
		if r == RegimeBalanced || r == RegimeSynthetic {
			return true
		}
	}
	return false
}

// testOutput is a model's class probabilities on a test set.
type testOutput struct {
	Probs [][]float64 `json:"probs"`
}

// runRecord is a finished (regime, repeat): what it trained on and what it predicted. It is
// saved under eval/runs so a rerun with the same settings and data skips it.
type runRecord struct {
	Regime       string      `json:"regime"`
	Repeat       int         `json:"repeat"`
	Seed         uint64      `json:"seed"`
	Key          string      `json:"key"` // settings, training, validation and test images
	CodeVersion  string      `json:"code_version"`
	TrainReal    []int       `json:"train_real"`
	TrainSynth   []int       `json:"train_synthetic"`
	Shortfall    []int       `json:"synthetic_shortfall,omitempty"` // synthetic images missing to balance a class
	Validation   []int       `json:"validation"`
	EpochsRun    int         `json:"epochs_run"`
	BestEpoch    int         `json:"best_epoch"`
	StoppedEarly bool        `json:"stopped_early"`
	Seconds      float64     `json:"seconds"`
	Holdout      testOutput  `json:"holdout"`
	External     *testOutput `json:"external,omitempty"`
}

// evalData is everything an evaluation reads, in memory.
type evalData struct {
	classes   []string
	size      int
	train     []train.Example // real train split
	holdout   []train.Example
	external  []train.Example // test workspace, mapped to our classes
	extSkip   map[string]int
	synthetic []train.Example
	synthSkip map[string]int
	frac      float64 // validation share
}

func repeatSeed(seed uint64, r int) uint64 {
	return rand.New(rand.NewPCG(seed, 0xe7a1+uint64(r))).Uint64()
}

// regimeSets builds a regime's training and validation examples for one repeat's seed.
func regimeSets(d *evalData, regime string, cfg Config, seed uint64) (tr, val []train.Example, shortfall []int, err error) {
	k := len(d.classes)
	realTr, realVal := train.SplitValidation(d.train, d.frac, seed)
	switch regime {
	case RegimeBalanced:
		byClass := make([][]train.Example, k)
		for _, e := range d.synthetic {
			byClass[e.Class()] = append(byClass[e.Class()], e)
		}
		rng := rand.New(rand.NewPCG(seed, 0xba1a))
		if cfg.balancedMix() == MixEqual {
			tr, err = equalMix(d.classes, realTr, byClass, cfg.SyntheticPerReal, rng)
			return tr, realVal, nil, err
		}
		counts := train.ClassCounts(realTr, k)
		most := slices.Max(counts)
		tr = slices.Clone(realTr)
		shortfall = make([]int, k)
		for c := 0; c < k; c++ {
			need := most - counts[c]
			if cfg.SyntheticPerReal > 0 {
				need = min(need, int(cfg.SyntheticPerReal*float64(counts[c])+0.5))
			}
			pool := byClass[c]
			for _, j := range rng.Perm(len(pool))[:min(need, len(pool))] {
				tr = append(tr, pool[j])
			}
			if need > len(pool) {
				shortfall[c] = need - len(pool)
			}
		}
		if slices.Max(shortfall) == 0 {
			shortfall = nil
		}
		return tr, realVal, shortfall, nil
	case RegimeSynthetic:
		// Validation comes from the synthetic set too, so no real image shapes this model.
		tr, val = train.SplitValidation(d.synthetic, d.frac, seed) // each synthetic image is its own group
		return tr, val, nil, nil
	}
	return realTr, realVal, nil, nil
}

// equalMix is regime (b) mixed MixEqual: every class's real images repeated up to the majority
// class's count m, plus s synthetic images of every class: s is the smallest class's synthetic
// count, or with perReal > 0, perReal × m (a class's synthetic images then repeated as needed).
// Every class then has m real and s synthetic examples, so the synthetic share is the same in
// every class.
func equalMix(classes []string, realTr []train.Example, synth [][]train.Example, perReal float64, rng *rand.Rand) ([]train.Example, error) {
	k := len(classes)
	realBy := make([][]train.Example, k)
	for _, e := range realTr {
		realBy[e.Class()] = append(realBy[e.Class()], e)
	}
	most, s := 0, math.MaxInt
	for c := range k {
		if len(realBy[c]) == 0 {
			continue // a class with no real train image is trained on by no regime but (c)
		}
		most = max(most, len(realBy[c]))
		if len(synth[c]) == 0 {
			return nil, fmt.Errorf("regime b mixed %s: class %s has no synthetic image; synthesise every class (synth --per-class N) or use --b-mix %s", MixEqual, classes[c], MixTopUp)
		}
		s = min(s, len(synth[c]))
	}
	if perReal > 0 {
		s = max(1, int(perReal*float64(most)+0.5))
	}
	var tr []train.Example
	for c := range k {
		if len(realBy[c]) > 0 {
			tr = repeatTo(tr, realBy[c], most, rng)
			tr = repeatTo(tr, synth[c], s, rng)
		}
	}
	return tr, nil
}

// repeatTo appends n examples of ex to dst: each example n/len(ex) times, and n%len(ex) more
// drawn at random without replacement.
func repeatTo(dst, ex []train.Example, n int, rng *rand.Rand) []train.Example {
	for range n / len(ex) {
		dst = append(dst, ex...)
	}
	for _, j := range rng.Perm(len(ex))[:n%len(ex)] {
		dst = append(dst, ex[j])
	}
	return dst
}

// Evaluate runs the experiment of the issue "does adding synthetic X-rays help": for every
// repeat and regime it trains a classifier and tests it on the real holdout patients (and the
// external test workspace), then writes eval/report.json, eval/report.md and eval/sensitivity.png.
// Each finished (regime, repeat) is saved under eval/runs; a rerun with the same settings skips it.
//
// With Config.OnlyRepeat it returns a nil report and no error: that repeat's runs are saved, and
// a run without it writes the report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	start := time.Now()
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rep := progress.OrNop(cfg.Progress)
	d, err := loadEvalData(cfg)
	if err != nil {
		return nil, err
	}
	d.frac = cfg.ValFraction
	k := len(d.classes)
	if len(d.holdout) == 0 {
		return nil, fmt.Errorf("%s: no holdout images to test on; ingest with a holdout split", cfg.Workspace.RealIndexPath())
	}
	arch := train.DefaultClassifierArch(d.size, k)
	if cfg.Arch != nil {
		arch = *cfg.Arch
	}
	runsDir := filepath.Join(cfg.Workspace.EvalDir(), EvalRunsDir)
	if err := os.MkdirAll(runsDir, 0o755); err != nil {
		return nil, err
	}
	fsutil.CleanTemp(runsDir)

	testKey := sha256.New()
	if err := train.FingerprintExamples(testKey, "holdout", d.holdout); err != nil {
		return nil, err
	}
	if err := train.FingerprintExamples(testKey, "external", d.external); err != nil {
		return nil, err
	}
	testFP := hex.EncodeToString(testKey.Sum(nil))

	regs := cfg.regimes()
	overall := rep.Start("evaluate", int64(len(regs)*cfg.Repeats), "models")
	defer overall.Done()
	records := map[string][]*runRecord{}
	var reused int
	var fidelityModel *train.Classifier
	for r := 0; r < cfg.Repeats; r++ {
		if cfg.OnlyRepeat > 0 && r != cfg.OnlyRepeat-1 {
			continue
		}
		seed := repeatSeed(cfg.Seed, r)
		for _, reg := range regs {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			tr, val, shortfall, err := regimeSets(d, reg, cfg, seed)
			if err != nil {
				return nil, err
			}
			rb := reg == RegimeBalanced && cfg.BalancedRebalance != ""
			fc := train.FitConfig{Arch: arch, Classes: d.classes, Epochs: cfg.Epochs, Batch: cfg.Batch, LR: cfg.LR, Seed: seed,
				Weighted:   reg == RegimeWeighted || (rb && cfg.BalancedRebalance == RebalanceWeighted),
				Oversample: reg == RegimeOversampled || (rb && cfg.BalancedRebalance == RebalanceOversample), Augment: !cfg.NoAugment,
				Patience: cfg.Patience, Restart: true, CodeVersion: cfg.CodeVersion, Log: log}
			fp, err := train.Fingerprint(fc.Settings(len(tr), len(val)), map[string][]train.Example{"train": tr, "val": val})
			if err != nil {
				return nil, err
			}
			key := sha256.Sum256([]byte(fp + testFP))
			name := fmt.Sprintf("%s-r%d", reg, r)
			recPath := filepath.Join(runsDir, name+".json")
			modelPath := filepath.Join(runsDir, name+".model")
			wantModel := reg == RegimeReal && r == 0
			keepModel := wantModel || cfg.KeepModels
			rec, err := readRunRecord(recPath, hex.EncodeToString(key[:]))
			if err != nil {
				return nil, err
			}
			if rec != nil && wantModel {
				if fidelityModel, err = train.LoadClassifier(modelPath); err != nil {
					log.Info("model for the embedding is missing; retraining", "run", name, "err", err)
					rec = nil
				}
			}
			if rec != nil {
				reused++
				log.Info("reusing finished run", "run", name)
				overall.Add(1)
				records[reg] = append(records[reg], rec)
				continue
			}
			t0 := time.Now()
			fc.Checkpoint = filepath.Join(runsDir, name+".ckpt")
			task := rep.Start(fmt.Sprintf("%s repeat %d/%d", RegimeNames[reg], r+1, cfg.Repeats), int64(cfg.Epochs*train.StepsPerEpoch(tr, k, fc.Oversample, cfg.Batch)), "steps")
			fc.Task = task
			res, err := train.Fit(ctx, fc, tr, val)
			task.Done()
			if err != nil {
				return nil, fmt.Errorf("regime %s (%s), repeat %d: %w", reg, RegimeNames[reg], r+1, err)
			}
			c := res.Classifier(name)
			hp, err := c.PredictExamples(ctx, d.holdout)
			if err != nil {
				c.Close()
				return nil, err
			}
			rec = &runRecord{Regime: reg, Repeat: r, Seed: seed, Key: hex.EncodeToString(key[:]), CodeVersion: cfg.CodeVersion,
				TrainReal:  train.ClassCounts(slices.DeleteFunc(slices.Clone(tr), func(e train.Example) bool { return e.Synthetic() }), k),
				TrainSynth: train.ClassCounts(slices.DeleteFunc(slices.Clone(tr), func(e train.Example) bool { return !e.Synthetic() }), k),
				Shortfall:  shortfall, Validation: train.ClassCounts(val, k), EpochsRun: res.EpochsRun(), BestEpoch: res.BestEpoch(),
				StoppedEarly: res.StoppedEarly(), Holdout: testOutput{Probs: hp}}
			if len(d.external) > 0 {
				ep, err := c.PredictExamples(ctx, d.external)
				if err != nil {
					c.Close()
					return nil, err
				}
				rec.External = &testOutput{Probs: ep}
			}
			rec.Seconds = time.Since(t0).Seconds()
			if keepModel {
				if err := res.WriteModel(modelPath); err != nil {
					c.Close()
					return nil, err
				}
			}
			if wantModel {
				fidelityModel = c
			} else {
				c.Close()
			}
			if err := writeRunRecord(recPath, rec); err != nil {
				return nil, err
			}
			os.Remove(fc.Checkpoint)
			log.Info("finished run", "run", name, "seconds", rec.Seconds, "epochs", rec.EpochsRun)
			overall.Add(1)
			records[reg] = append(records[reg], rec)
		}
	}
	if fidelityModel != nil {
		defer fidelityModel.Close()
	}
	if cfg.OnlyRepeat > 0 {
		return nil, nil
	}
	report, err := buildReport(ctx, cfg, d, regs, records, fidelityModel)
	if err != nil {
		return nil, err
	}
	report.RunsReused = reused
	report.Seconds = time.Since(start).Seconds()
	if err := writeReport(cfg.Workspace.EvalDir(), report); err != nil {
		return nil, err
	}
	return report, nil
}

func readRunRecord(path, key string) (*runRecord, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	var rec runRecord
	if err := json.Unmarshal(b, &rec); err != nil || rec.Key != key {
		return nil, nil // another setting or a damaged file: run again
	}
	return &rec, nil
}

func writeRunRecord(path string, rec *runRecord) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return fsutil.WriteFile(path, b, 0o644)
}

// loadEvalData reads the workspace's real images, the synthetic set and the external test set.
func loadEvalData(cfg Config) (*evalData, error) {
	w := cfg.Workspace
	meta, err := w.LoadMeta()
	if err != nil {
		return nil, err
	}
	size := meta.ImageSize
	if cfg.Size != 0 {
		size = cfg.Size
	}
	d := &evalData{classes: meta.Classes, size: size}
	// every image is in one split or the other (checked a row at a time: an archive's index is
	// not held in memory)
	err = w.EachRealImage(func(r workspace.RealImage) error {
		if r.Split != workspace.SplitTrain && r.Split != workspace.SplitHoldout {
			return fmt.Errorf("%s: image %s has split %q, want %s or %s", w.RealIndexPath(), r.ID, r.Split, workspace.SplitTrain, workspace.SplitHoldout)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if d.train, err = train.LoadReal(w, meta.Classes, size, workspace.SplitTrain); err != nil {
		return nil, err
	}
	if d.holdout, err = train.LoadReal(w, meta.Classes, size, workspace.SplitHoldout); err != nil {
		return nil, err
	}
	if cfg.needsSynthetic() {
		if d.synthetic, d.synthSkip, err = train.LoadSynthetic(w, cfg.Synthetic, meta.Classes, size); err != nil {
			return nil, err
		}
	}
	if tw := cfg.TestWorkspace; tw != nil {
		tm, err := tw.LoadMeta()
		if err != nil {
			return nil, err
		}
		if tm.ImageSize < size || tm.ImageSize%size != 0 {
			return nil, fmt.Errorf("test workspace %s has %d×%d images; evaluating at %d×%d needs a multiple of that size (ingest it with --size %d)", tw.Dir, tm.ImageSize, tm.ImageSize, size, size, size)
		}
		ext, err := train.LoadReal(tw, tm.Classes, size, "")
		if err != nil {
			return nil, err
		}
		ci := classIndex(meta.Classes)
		d.extSkip = map[string]int{}
		for _, e := range ext {
			name := tm.Classes[e.Class()]
			c, ok := ci[name]
			if !ok {
				d.extSkip[name]++
				continue
			}
			e = e.WithClass(c)
			d.external = append(d.external, e)
		}
		if len(d.external) == 0 {
			return nil, fmt.Errorf("test workspace %s has no image of the classes %s", tw.Dir, strings.Join(meta.Classes, ", "))
		}
	}
	return d, nil
}

// metricsConfig is the metrics configuration of the report.
func (c Config) metricsConfig(classes []string) metrics.Config {
	return metrics.Config{Classes: classes, MinSupport: c.MinSupport}
}

// classIndex maps class names to indices.
func classIndex(classes []string) map[string]int {
	m := make(map[string]int, len(classes))
	for i, c := range classes {
		m[c] = i
	}
	return m
}
