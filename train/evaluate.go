package train

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
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

// AllRegimes lists the regimes in report order.
var AllRegimes = []string{RegimeReal, RegimeBalanced, RegimeSynthetic, RegimeWeighted, RegimeOversampled}

// Files under eval/.
const (
	EvalReportJSON = "report.json"
	EvalReportMD   = "report.md"
	EvalChart      = "sensitivity.png"
	EvalRunsDir    = "runs" // one record per finished (regime, repeat); a rerun skips them
)

// EvalConfig configures [Evaluate].
type EvalConfig struct {
	Workspace     *workspace.Workspace
	TestWorkspace *workspace.Workspace // optional external test set (all its images)
	Repeats       int                  // models per regime, each with its own seed
	Epochs        int
	Batch         int
	LR            float64
	Seed          uint64
	Size          int      // image side; 0: the workspace's (larger images are averaged down)
	Synthetic     string   // SyntheticApproved or SyntheticCandidates, for regimes b and c
	Regimes       []string // nil: all of AllRegimes
	ValFraction   float64
	Patience      int
	NoAugment     bool
	Resamples     int // paired bootstrap resamples (0: 2000)
	MinSupport    int // fewest test images of a class for its metrics (0: metrics.DefaultMinSupport)
	Arch          *ClassifierArch
	CodeVersion   string
	Progress      progress.Reporter
	Log           *slog.Logger
}

// Validate checks the configuration.
func (c EvalConfig) Validate() error {
	if c.Workspace == nil {
		return errors.New("no workspace")
	}
	if c.Repeats < 1 || c.Repeats > 100 {
		return fmt.Errorf("repeats %d: want 1 to 100 (3 or more for a standard deviation worth reading)", c.Repeats)
	}
	cc := ClassifierConfig{Workspace: c.Workspace, Size: c.Size, Epochs: c.Epochs, Batch: c.Batch, LR: c.LR, ValFraction: c.ValFraction, Patience: c.Patience, Arch: c.Arch}
	if err := cc.Validate(); err != nil {
		return err
	}
	if c.Synthetic != SyntheticApproved && c.Synthetic != SyntheticCandidates {
		return fmt.Errorf("synthetic set %q: want %s or %s", c.Synthetic, SyntheticApproved, SyntheticCandidates)
	}
	for _, r := range c.Regimes {
		if _, ok := RegimeNames[r]; !ok {
			return fmt.Errorf("regime %q: want some of a, b, c, d, e", r)
		}
	}
	if c.Resamples != 0 && c.Resamples < 100 {
		return fmt.Errorf("%d bootstrap resamples: use at least 100", c.Resamples)
	}
	if c.MinSupport < 0 {
		return fmt.Errorf("minimum support %d is negative", c.MinSupport)
	}
	return nil
}

func (c EvalConfig) regimes() []string {
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

func (c EvalConfig) needsSynthetic() bool {
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
	train     []example // real train split
	holdout   []example
	external  []example // test workspace, mapped to our classes
	extSkip   map[string]int
	synthetic []example
	synthSkip map[string]int
	frac      float64 // validation share
}

func repeatSeed(seed uint64, r int) uint64 {
	return rand.New(rand.NewPCG(seed, 0xe7a1+uint64(r))).Uint64()
}

// regimeSets builds a regime's training and validation examples for one repeat's seed.
func regimeSets(d *evalData, regime string, seed uint64) (tr, val []example, shortfall []int) {
	k := len(d.classes)
	realTr, realVal := splitValidation(d.train, d.frac, seed)
	switch regime {
	case RegimeBalanced:
		counts := classCounts(realTr, k)
		most := slices.Max(counts)
		byClass := make([][]example, k)
		for _, e := range d.synthetic {
			byClass[e.class] = append(byClass[e.class], e)
		}
		rng := rand.New(rand.NewPCG(seed, 0xba1a))
		tr = slices.Clone(realTr)
		shortfall = make([]int, k)
		for c := 0; c < k; c++ {
			need := most - counts[c]
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
		return tr, realVal, shortfall
	case RegimeSynthetic:
		// Validation comes from the synthetic set too, so no real image shapes this model.
		tr, val = splitSyntheticValidation(d.synthetic, d.frac, seed)
		return tr, val, nil
	}
	return realTr, realVal, nil
}

// splitSyntheticValidation holds out a share of each class's synthetic images for validation.
func splitSyntheticValidation(ex []example, frac float64, seed uint64) (tr, val []example) {
	if frac <= 0 {
		return ex, nil
	}
	rng := rand.New(rand.NewPCG(seed, 0x5a1))
	byClass := map[int][]int{}
	for i, e := range ex {
		byClass[e.class] = append(byClass[e.class], i)
	}
	inVal := map[int]bool{}
	classes := make([]int, 0, len(byClass))
	for c := range byClass {
		classes = append(classes, c)
	}
	slices.Sort(classes)
	for _, c := range classes {
		idx := byClass[c]
		if len(idx) < 2 {
			continue
		}
		n := max(1, min(int(frac*float64(len(idx))+0.5), len(idx)-1))
		for _, j := range rng.Perm(len(idx))[:n] {
			inVal[idx[j]] = true
		}
	}
	for i, e := range ex {
		if inVal[i] {
			val = append(val, e)
		} else {
			tr = append(tr, e)
		}
	}
	return tr, val
}

// Evaluate runs the experiment of the issue "does adding synthetic X-rays help": for every
// repeat and regime it trains a classifier and tests it on the real holdout patients (and the
// external test workspace), then writes eval/report.json, eval/report.md and eval/sensitivity.png.
// Each finished (regime, repeat) is saved under eval/runs; a rerun with the same settings skips it.
func Evaluate(ctx context.Context, cfg EvalConfig) (*EvalReport, error) {
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
	arch := DefaultClassifierArch(d.size, k)
	if cfg.Arch != nil {
		arch = *cfg.Arch
	}
	runsDir := filepath.Join(cfg.Workspace.EvalDir(), EvalRunsDir)
	if err := os.MkdirAll(runsDir, 0o755); err != nil {
		return nil, err
	}
	fsutil.CleanTemp(runsDir)

	images := func(ex []example) [][]float32 {
		out := make([][]float32, len(ex))
		for i, e := range ex {
			out[i] = e.pix
		}
		return out
	}
	testKey := sha256.New()
	fingerprintExamples(testKey, "holdout", d.holdout)
	fingerprintExamples(testKey, "external", d.external)
	testFP := hex.EncodeToString(testKey.Sum(nil))

	regs := cfg.regimes()
	overall := rep.Start("evaluate", int64(len(regs)*cfg.Repeats), "models")
	defer overall.Done()
	records := map[string][]*runRecord{}
	var reused int
	var fidelityModel *Classifier
	for r := 0; r < cfg.Repeats; r++ {
		seed := repeatSeed(cfg.Seed, r)
		for _, reg := range regs {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			tr, val, shortfall := regimeSets(d, reg, seed)
			fc := fitConfig{arch: arch, classes: d.classes, epochs: cfg.Epochs, batch: cfg.Batch, lr: cfg.LR, seed: seed,
				weighted: reg == RegimeWeighted, oversample: reg == RegimeOversampled, augment: !cfg.NoAugment,
				patience: cfg.Patience, restart: true, codeVersion: cfg.CodeVersion, log: log}
			key := sha256.Sum256([]byte(fingerprint(fc.settings(len(tr), len(val)), map[string][]example{"train": tr, "val": val}) + testFP))
			name := fmt.Sprintf("%s-r%d", reg, r)
			recPath := filepath.Join(runsDir, name+".json")
			modelPath := filepath.Join(runsDir, name+".model")
			wantModel := reg == RegimeReal && r == 0
			rec, err := readRunRecord(recPath, hex.EncodeToString(key[:]))
			if err != nil {
				return nil, err
			}
			if rec != nil && wantModel {
				if fidelityModel, err = LoadClassifier(modelPath); err != nil {
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
			fc.checkpoint = filepath.Join(runsDir, name+".ckpt")
			task := rep.Start(fmt.Sprintf("%s repeat %d/%d", RegimeNames[reg], r+1, cfg.Repeats), int64(cfg.Epochs*stepsPerEpoch(tr, k, fc.oversample, cfg.Batch)), "steps")
			fc.task = task
			res, err := fit(ctx, fc, tr, val)
			task.Done()
			if err != nil {
				return nil, fmt.Errorf("regime %s (%s), repeat %d: %w", reg, RegimeNames[reg], r+1, err)
			}
			c := newClassifier(res.model, d.classes, name)
			hp, err := c.Predict(ctx, images(d.holdout))
			if err != nil {
				c.Close()
				return nil, err
			}
			rec = &runRecord{Regime: reg, Repeat: r, Seed: seed, Key: hex.EncodeToString(key[:]), CodeVersion: cfg.CodeVersion,
				TrainReal:  classCounts(slices.DeleteFunc(slices.Clone(tr), func(e example) bool { return e.synthetic }), k),
				TrainSynth: classCounts(slices.DeleteFunc(slices.Clone(tr), func(e example) bool { return !e.synthetic }), k),
				Shortfall:  shortfall, Validation: classCounts(val, k), EpochsRun: res.meta.Epoch, BestEpoch: res.meta.BestEpoch,
				StoppedEarly: res.meta.StoppedEarly, Holdout: testOutput{Probs: hp}}
			if len(d.external) > 0 {
				ep, err := c.Predict(ctx, images(d.external))
				if err != nil {
					c.Close()
					return nil, err
				}
				rec.External = &testOutput{Probs: ep}
			}
			rec.Seconds = time.Since(t0).Seconds()
			if wantModel {
				if _, err := writeClassifierModel(modelPath, res.model, res.meta); err != nil {
					c.Close()
					return nil, err
				}
				fidelityModel = c
			} else {
				c.Close()
			}
			if err := writeRunRecord(recPath, rec); err != nil {
				return nil, err
			}
			removeIfExists(fc.checkpoint)
			log.Info("finished run", "run", name, "seconds", rec.Seconds, "epochs", rec.EpochsRun)
			overall.Add(1)
			records[reg] = append(records[reg], rec)
		}
	}
	if fidelityModel != nil {
		defer fidelityModel.Close()
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
func loadEvalData(cfg EvalConfig) (*evalData, error) {
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
	all, err := loadReal(w, meta.Classes, size, "")
	if err != nil {
		return nil, err
	}
	rows, err := w.ReadRealIndex()
	if err != nil {
		return nil, err
	}
	split := map[string]string{}
	for _, r := range rows {
		split[r.ID] = r.Split
	}
	for _, e := range all {
		switch split[e.id] {
		case workspace.SplitTrain:
			d.train = append(d.train, e)
		case workspace.SplitHoldout:
			d.holdout = append(d.holdout, e)
		default:
			return nil, fmt.Errorf("%s: image %s has split %q, want %s or %s", w.RealIndexPath(), e.id, split[e.id], workspace.SplitTrain, workspace.SplitHoldout)
		}
	}
	if cfg.needsSynthetic() {
		if d.synthetic, d.synthSkip, err = loadSynthetic(w, cfg.Synthetic, meta.Classes, size); err != nil {
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
		ext, err := loadReal(tw, tm.Classes, size, "")
		if err != nil {
			return nil, err
		}
		ci := classIndex(meta.Classes)
		d.extSkip = map[string]int{}
		for _, e := range ext {
			name := tm.Classes[e.class]
			c, ok := ci[name]
			if !ok {
				d.extSkip[name]++
				continue
			}
			e.class = c
			d.external = append(d.external, e)
		}
		if len(d.external) == 0 {
			return nil, fmt.Errorf("test workspace %s has no image of the classes %s", tw.Dir, strings.Join(meta.Classes, ", "))
		}
	}
	return d, nil
}

// metricsConfig is the metrics configuration of the report.
func (c EvalConfig) metricsConfig(classes []string) metrics.Config {
	return metrics.Config{Classes: classes, MinSupport: c.MinSupport}
}
