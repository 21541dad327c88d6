package evaluate

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/raysynth/raysynth/train"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/raysynth/raysynth/internal/fsutil"
	"github.com/raysynth/raysynth/internal/metrics"
)

// Report is eval/report.json.
type Report struct {
	Format      int      `json:"format"`
	Created     string   `json:"created"`
	CodeVersion string   `json:"code_version"`
	Classes     []string `json:"classes"`
	ImageSize   int      `json:"image_size"`
	Seed        uint64   `json:"seed"`
	Repeats     int      `json:"repeats"`
	Epochs      int      `json:"epochs"`
	Batch       int      `json:"batch"`
	LR          float64  `json:"lr"`
	ValFraction float64  `json:"validation_fraction"`
	Patience    int      `json:"patience"`
	Augment     bool     `json:"augment"`
	MinSupport  int      `json:"min_support"`
	Synthetic   string   `json:"synthetic"`
	// How regime (b) used the synthetic set when not the plain top-up to the majority count.
	SyntheticPerReal  float64        `json:"synthetic_per_real,omitempty"`
	BalancedRebalance string         `json:"balanced_rebalance,omitempty"`
	BalancedMix       string         `json:"balanced_mix,omitempty"` // MixTopUp or MixEqual
	Data              EvalCounts     `json:"data"`
	Regimes           []RegimeReport `json:"regimes"`
	Comparisons       []Comparison   `json:"comparisons"`
	Fidelity          *Fidelity      `json:"fidelity,omitempty"`
	Findings          []string       `json:"findings"`
	Notes             []string       `json:"notes"`
	Seconds           float64        `json:"seconds"`       // this invocation
	ModelSecs         float64        `json:"model_seconds"` // training and testing every model, reused ones included
	RunsReused        int            `json:"runs_reused"`
}

// EvalCounts are the images (and patients) per class the evaluation used.
type EvalCounts struct {
	TrainImages      map[string]int `json:"train_images"`
	TrainPatients    map[string]int `json:"train_patients"`
	HoldoutImages    map[string]int `json:"holdout_images"`
	HoldoutPatients  map[string]int `json:"holdout_patients"`
	SyntheticImages  map[string]int `json:"synthetic_images,omitempty"`
	SyntheticSkipped map[string]int `json:"synthetic_skipped,omitempty"` // classes the workspace lacks
	ExternalImages   map[string]int `json:"external_images,omitempty"`
	ExternalSkipped  map[string]int `json:"external_skipped,omitempty"`
}

// RegimeReport is one regime's models and their test results.
type RegimeReport struct {
	Key      string       `json:"key"`
	Name     string       `json:"name"`
	Runs     []RunInfo    `json:"runs"`
	Holdout  TestSummary  `json:"holdout"`
	External *TestSummary `json:"external,omitempty"`
}

// RunInfo is one trained model of a regime.
type RunInfo struct {
	Repeat             int            `json:"repeat"`
	Seed               uint64         `json:"seed"`
	EpochsRun          int            `json:"epochs_run"`
	BestEpoch          int            `json:"best_epoch"`
	StoppedEarly       bool           `json:"stopped_early"`
	TrainReal          map[string]int `json:"train_real"`
	TrainSynthetic     map[string]int `json:"train_synthetic"`
	Validation         map[string]int `json:"validation"`
	SyntheticShortfall map[string]int `json:"synthetic_shortfall,omitempty"`
	Seconds            float64        `json:"seconds"`
	CodeVersion        string         `json:"code_version"` // of the raysynth that trained it
}

// TestSummary is a regime's results on one test set: mean ± sd over repeats.
type TestSummary struct {
	N                int              `json:"n"`
	Accuracy         metrics.Summary  `json:"accuracy"`
	BalancedAccuracy metrics.Summary  `json:"balanced_accuracy"`
	MacroF1          metrics.Summary  `json:"macro_f1"`
	PerClass         []ClassSummary   `json:"per_class"`
	Confusion        [][]int          `json:"confusion"` // summed over repeats; rows true, columns predicted
	Repeats          []metrics.Result `json:"repeats"`
}

// ClassSummary is one class's metrics over repeats.
type ClassSummary struct {
	Class       string          `json:"class"`
	Support     int             `json:"support"`
	Sensitivity metrics.Summary `json:"sensitivity"`
	Specificity metrics.Summary `json:"specificity"`
	Precision   metrics.Summary `json:"precision"`
	F1          metrics.Summary `json:"f1"`
	AUC         metrics.Summary `json:"auc"`
	Undefined   string          `json:"undefined,omitempty"`
}

// Comparison is regime B minus regime A per class on one test set (paired bootstrap over test
// images, all repeats' predictions of an image kept together).
type Comparison struct {
	A           string               `json:"a"`
	B           string               `json:"b"`
	Test        string               `json:"test"` // holdout or external
	Differences []metrics.Difference `json:"differences"`
	// BalancedAccuracy is B's balanced accuracy minus A's, the overall measure.
	BalancedAccuracy *BalancedDifference `json:"balanced_accuracy,omitempty"`
}

// Fidelity is the synthetic set's fidelity and diversity per class in the classifier's own
// embedding space.
type Fidelity struct {
	Embedding string          `json:"embedding"`
	K         int             `json:"k"`
	PerClass  []FidelityClass `json:"per_class"`
}

// FidelityClass is one class's Fréchet distance and k-NN precision and recall.
type FidelityClass struct {
	Class     string `json:"class"`
	Synthetic int    `json:"synthetic"`
	Holdout   int    `json:"holdout"`
	Train     int    `json:"train"`
	// FD is the Fréchet distance between synthetic and real holdout embeddings; FDReference the
	// same between real train and real holdout embeddings (what "as close as real data" means).
	FD          metrics.Metric `json:"fd"`
	FDReference metrics.Metric `json:"fd_reference"`
	Precision   metrics.Metric `json:"precision"` // synthetic inside the real holdout manifold
	Recall      metrics.Metric `json:"recall"`    // real holdout inside the synthetic manifold
	Note        string         `json:"note,omitempty"`
}

func named(classes []string, counts []int) map[string]int {
	m := map[string]int{}
	for i, n := range counts {
		if i < len(classes) {
			m[classes[i]] = n
		}
	}
	return m
}

func patientsPerClass(ex []train.Example, classes []string) map[string]int {
	seen := map[string]bool{}
	m := map[string]int{}
	for _, e := range ex {
		key := classes[e.Class()] + "\x00" + e.Group()
		if !seen[key] {
			seen[key] = true
			m[classes[e.Class()]]++
		}
	}
	return m
}

func summarizeTest(mc metrics.Config, truth []int, outs []*testOutput) (TestSummary, error) {
	k := len(mc.Classes)
	ts := TestSummary{N: len(truth), Confusion: make([][]int, k)}
	for i := range ts.Confusion {
		ts.Confusion[i] = make([]int, k)
	}
	var acc, bacc, mf1 []float64
	per := make([][5][]float64, k)
	undefined := make([][]string, k)
	for _, o := range outs {
		res, err := metrics.Evaluate(mc, truth, o.Probs)
		if err != nil {
			return ts, err
		}
		ts.Repeats = append(ts.Repeats, res)
		acc = append(acc, float64(res.Accuracy))
		bacc = append(bacc, float64(res.BalancedAccuracy))
		mf1 = append(mf1, float64(res.MacroF1))
		for t := range res.Confusion {
			for p, v := range res.Confusion[t] {
				ts.Confusion[t][p] += v
			}
		}
		for c, cr := range res.PerClass {
			for j, m := range []metrics.Metric{cr.Sensitivity, cr.Specificity, cr.Precision, cr.F1, cr.AUC} {
				per[c][j] = append(per[c][j], float64(m))
			}
			for _, why := range strings.Split(cr.Undefined, "; ") {
				if why != "" && !slices.Contains(undefined[c], why) {
					undefined[c] = append(undefined[c], why)
				}
			}
		}
	}
	ts.Accuracy, ts.BalancedAccuracy, ts.MacroF1 = metrics.Summarize(acc), metrics.Summarize(bacc), metrics.Summarize(mf1)
	support := make([]int, k)
	for _, t := range truth {
		support[t]++
	}
	for c := 0; c < k; c++ {
		ts.PerClass = append(ts.PerClass, ClassSummary{Class: mc.Classes[c], Support: support[c],
			Sensitivity: metrics.Summarize(per[c][0]), Specificity: metrics.Summarize(per[c][1]), Precision: metrics.Summarize(per[c][2]),
			F1: metrics.Summarize(per[c][3]), AUC: metrics.Summarize(per[c][4]), Undefined: strings.Join(undefined[c], "; ")})
	}
	return ts, nil
}

func predictions(outs []*testOutput) [][]int {
	var p [][]int
	for _, o := range outs {
		p = append(p, metrics.Argmax(o.Probs))
	}
	return p
}

// buildReport aggregates the runs into the report.
func buildReport(ctx context.Context, cfg Config, d *evalData, regs []string, records map[string][]*runRecord, fm *train.Classifier) (*Report, error) {
	k := len(d.classes)
	mc := cfg.metricsConfig(d.classes)
	minSup := cfg.MinSupport
	if minSup == 0 {
		minSup = metrics.DefaultMinSupport
	}
	r := &Report{Format: 1, Created: time.Now().UTC().Format(time.RFC3339), CodeVersion: cfg.CodeVersion, Classes: d.classes,
		ImageSize: d.size, Seed: cfg.Seed, Repeats: cfg.Repeats, Epochs: cfg.Epochs, Batch: cfg.Batch, LR: cfg.LR,
		ValFraction: cfg.ValFraction, Patience: cfg.Patience, Augment: !cfg.NoAugment, MinSupport: minSup}
	r.Data = EvalCounts{TrainImages: named(d.classes, train.ClassCounts(d.train, k)), TrainPatients: patientsPerClass(d.train, d.classes),
		HoldoutImages: named(d.classes, train.ClassCounts(d.holdout, k)), HoldoutPatients: patientsPerClass(d.holdout, d.classes)}
	if len(d.synthetic) > 0 {
		r.Synthetic = cfg.Synthetic
		r.SyntheticPerReal, r.BalancedRebalance, r.BalancedMix = cfg.SyntheticPerReal, cfg.BalancedRebalance, cfg.balancedMix()
		r.Data.SyntheticImages = named(d.classes, train.ClassCounts(d.synthetic, k))
		if len(d.synthSkip) > 0 {
			r.Data.SyntheticSkipped = d.synthSkip
		}
	}
	if len(d.external) > 0 {
		r.Data.ExternalImages = named(d.classes, train.ClassCounts(d.external, k))
		if len(d.extSkip) > 0 {
			r.Data.ExternalSkipped = d.extSkip
		}
	}
	truth := func(ex []train.Example) []int {
		t := make([]int, len(ex))
		for i, e := range ex {
			t[i] = e.Class()
		}
		return t
	}
	hTruth, eTruth := truth(d.holdout), truth(d.external)
	hOuts, eOuts := map[string][]*testOutput{}, map[string][]*testOutput{}
	for _, reg := range regs {
		rr := RegimeReport{Key: reg, Name: cfg.regimeName(reg)}
		for _, rec := range records[reg] {
			ri := RunInfo{Repeat: rec.Repeat + 1, Seed: rec.Seed, EpochsRun: rec.EpochsRun, BestEpoch: rec.BestEpoch, StoppedEarly: rec.StoppedEarly,
				TrainReal: named(d.classes, rec.TrainReal), TrainSynthetic: named(d.classes, rec.TrainSynth), Validation: named(d.classes, rec.Validation),
				Seconds: rec.Seconds, CodeVersion: rec.CodeVersion}
			if rec.Shortfall != nil {
				ri.SyntheticShortfall = named(d.classes, rec.Shortfall)
			}
			rr.Runs = append(rr.Runs, ri)
			r.ModelSecs += rec.Seconds
			hOuts[reg] = append(hOuts[reg], &rec.Holdout)
			if rec.External != nil {
				eOuts[reg] = append(eOuts[reg], rec.External)
			}
		}
		var err error
		if rr.Holdout, err = summarizeTest(mc, hTruth, hOuts[reg]); err != nil {
			return nil, fmt.Errorf("regime %s: %w", reg, err)
		}
		if len(eOuts[reg]) > 0 {
			ts, err := summarizeTest(mc, eTruth, eOuts[reg])
			if err != nil {
				return nil, fmt.Errorf("regime %s, external test set: %w", reg, err)
			}
			rr.External = &ts
		}
		r.Regimes = append(r.Regimes, rr)
	}
	// Synthetic data earns its place only where it beats real-only and both cheap fixes.
	for _, pair := range [][2]string{{RegimeReal, RegimeBalanced}, {RegimeWeighted, RegimeBalanced}, {RegimeOversampled, RegimeBalanced},
		{RegimeReal, RegimeWeighted}, {RegimeReal, RegimeOversampled}} {
		a, b := pair[0], pair[1]
		if len(hOuts[a]) == 0 || len(hOuts[b]) == 0 {
			continue
		}
		for _, test := range []string{"holdout", "external"} {
			tr, oa, ob := hTruth, hOuts[a], hOuts[b]
			if test == "external" {
				tr, oa, ob = eTruth, eOuts[a], eOuts[b]
				if len(oa) == 0 || len(ob) == 0 {
					continue
				}
			}
			pa, pb := predictions(oa), predictions(ob)
			diffs, err := metrics.PairedBootstrap(metrics.BootstrapConfig{Classes: d.classes, MinSupport: cfg.MinSupport, Metric: metrics.Sensitivity,
				Resamples: cfg.Resamples, Seed: cfg.Seed, NameA: "(" + a + ") " + cfg.regimeName(a), NameB: "(" + b + ") " + cfg.regimeName(b)},
				tr, pa, pb)
			if err != nil {
				return nil, fmt.Errorf("compare %s with %s: %w", b, a, err)
			}
			bd := balancedBootstrap(k, cfg.MinSupport, cfg.Resamples, cfg.Seed, tr, pa, pb)
			r.Comparisons = append(r.Comparisons, Comparison{A: a, B: b, Test: test, Differences: diffs, BalancedAccuracy: &bd})
		}
	}
	if fm != nil && len(d.synthetic) > 0 {
		f, err := fidelity(ctx, fm, d)
		if err != nil {
			return nil, err
		}
		r.Fidelity = f
	}
	r.Findings, r.Notes = findings(r, cfg)
	return r, nil
}

// fidelity computes per class the Fréchet distance and k-NN precision/recall of the synthetic
// set against the real holdout, in the embedding of the first real-only model.
func fidelity(ctx context.Context, c *train.Classifier, d *evalData) (*Fidelity, error) {
	embed := func(ex []train.Example) ([][][]float32, error) {
		emb, err := c.EmbedExamples(ctx, ex)
		if err != nil {
			return nil, err
		}
		by := make([][][]float32, len(d.classes))
		for i, e := range ex {
			by[e.Class()] = append(by[e.Class()], emb[i])
		}
		return by, nil
	}
	hold, err := embed(d.holdout)
	if err != nil {
		return nil, err
	}
	trn, err := embed(d.train)
	if err != nil {
		return nil, err
	}
	syn, err := embed(d.synthetic)
	if err != nil {
		return nil, err
	}
	f := &Fidelity{K: metrics.DefaultK, Embedding: fmt.Sprintf("penultimate layer (%d dimensions) of the first real-only classifier of this evaluation; "+
		"an FID-like number computed with our own embedding, not Inception features, so not comparable with published FID values", c.EmbeddingDim())}
	dim := c.EmbeddingDim()
	for ci, name := range d.classes {
		fc := FidelityClass{Class: name, Synthetic: len(syn[ci]), Holdout: len(hold[ci]), Train: len(trn[ci]),
			FD: metrics.NaN, FDReference: metrics.NaN, Precision: metrics.NaN, Recall: metrics.NaN}
		var notes []string
		if len(syn[ci]) >= 2 && len(hold[ci]) >= 2 {
			v, note := frechet(hold[ci], syn[ci])
			fc.FD = v
			if note != "" {
				notes = append(notes, note)
			}
		} else {
			notes = append(notes, "too few images for a Fréchet distance (need 2 synthetic and 2 holdout)")
		}
		if len(trn[ci]) >= 2 && len(hold[ci]) >= 2 {
			v, note := frechet(hold[ci], trn[ci])
			fc.FDReference = v
			if note != "" {
				notes = append(notes, "reference: "+note)
			}
		}
		if len(syn[ci]) > f.K && len(hold[ci]) > f.K {
			if pr, err := metrics.PrecisionRecall(hold[ci], syn[ci], f.K); err == nil {
				fc.Precision, fc.Recall = metrics.Metric(pr.Precision), metrics.Metric(pr.Recall)
			} else {
				notes = append(notes, "precision/recall: "+err.Error())
			}
		} else {
			notes = append(notes, fmt.Sprintf("too few images for k-NN precision/recall (need more than %d of each)", f.K))
		}
		if n := min(len(syn[ci]), len(hold[ci])); n > 0 && n <= dim {
			notes = append(notes, fmt.Sprintf("fewer images than embedding dimensions (%d ≤ %d): the covariance is singular and the distance biased upward; compare it only with the reference column", n, dim))
		}
		fc.Note = strings.Join(notes, "; ")
		f.PerClass = append(f.PerClass, fc)
	}
	return f, nil
}

// frechet returns the Fréchet distance between the real set and another, computed in both
// argument orders (the distance is symmetric): a near-singular covariance, such as that of a
// mode-collapsed synthetic set, can make one order's eigendecomposition return nonsense. The real
// set's order is reported; when the two disagree the value is marked with a note.
func frechet(real, other [][]float32) (metrics.Metric, string) {
	v1, err1 := frechetGuarded(real, other)
	v2, err2 := frechetGuarded(other, real)
	switch {
	case err1 != nil && err2 != nil:
		return metrics.NaN, "Fréchet distance: " + err1.Error()
	case err1 != nil:
		return metrics.Metric(v2), fmt.Sprintf("Fréchet distance computed only with the real set second (the other order failed: %v); treat it with care", err1)
	case err2 != nil:
		return metrics.Metric(v1), fmt.Sprintf("Fréchet distance computed only with the real set first (the other order failed: %v); treat it with care", err2)
	case math.Abs(v1-v2) > 1e-3*math.Max(1, math.Abs(v1)):
		return metrics.Metric(v1), fmt.Sprintf("Fréchet distance unstable: %.4g with the real set first, %.4g the other way round (a covariance is near-singular, e.g. a mode-collapsed synthetic set); treat it with care", v1, v2)
	}
	return metrics.Metric(v1), ""
}

// frechetGuarded turns a panic of gonum's LAPACK on a degenerate covariance (seen with
// "lapack: insufficient length of a" on a collapsed synthetic set) into an error, so a report
// after hours of training is not lost to it.
func frechetGuarded(a, b [][]float32) (v float64, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("eigendecomposition failed on a degenerate covariance (%v)", r)
		}
	}()
	return metrics.FrechetDistance(a, b)
}

func (r *Report) regime(key string) *RegimeReport {
	for i := range r.Regimes {
		if r.Regimes[i].Key == key {
			return &r.Regimes[i]
		}
	}
	return nil
}

// Verdicts on a difference of sensitivity between two regimes.
const (
	verdictTooFew    = "too few images"
	verdictWithin    = "within noise"
	verdictSeedNoise = "within seed noise"
	verdictHigher    = "higher"
	verdictLower     = "lower"
)

// verdict judges class c of a holdout comparison: beyond noise needs the bootstrap interval over
// test images to exclude zero and, with two or more repeats, the difference of mean
// sensitivities to exceed the larger standard deviation over repeats (training-seed noise).
func (r *Report) verdict(cmp *Comparison, c int) string {
	d := cmp.Differences[c]
	if !d.Lo.Defined() {
		return verdictTooFew
	}
	if !d.Beyond {
		return verdictWithin
	}
	ra, rb := r.regime(cmp.A), r.regime(cmp.B)
	if ra != nil && rb != nil && r.Repeats >= 2 {
		sa, sb := ra.Holdout.PerClass[c].Sensitivity, rb.Holdout.PerClass[c].Sensitivity
		if sa.Mean.Defined() && sb.Mean.Defined() && sa.SD.Defined() && sb.SD.Defined() {
			if math.Abs(float64(sb.Mean-sa.Mean)) <= math.Max(float64(sa.SD), float64(sb.SD)) {
				return verdictSeedNoise
			}
		}
	}
	if d.Diff > 0 {
		return verdictHigher
	}
	return verdictLower
}

func (r *Report) comparison(a, b, test string) *Comparison {
	for i := range r.Comparisons {
		c := &r.Comparisons[i]
		if c.A == a && c.B == b && c.Test == test {
			return c
		}
	}
	return nil
}

// findings states in plain words what the numbers support, and nothing more.
func findings(r *Report, cfg Config) (find, notes []string) {
	ba := r.comparison(RegimeReal, RegimeBalanced, "holdout")
	bd := r.comparison(RegimeWeighted, RegimeBalanced, "holdout")
	be := r.comparison(RegimeOversampled, RegimeBalanced, "holdout")
	if ba == nil {
		find = append(find, "Regimes (a) real only and (b) real + synthetic were not both run, so this report cannot say whether synthetic data helps.")
	} else {
		var earns, notBeyondCheap, untested, within, seedNoise, worse, small []string
		for c, d := range ba.Differences {
			name := d.Class
			v := r.verdict(ba, c)
			switch v {
			case verdictTooFew:
				small = append(small, name)
			case verdictSeedNoise:
				seedNoise = append(seedNoise, name)
			case verdictWithin:
				within = append(within, name)
			case verdictLower:
				worse = append(worse, name)
			case verdictHigher:
				if bd == nil || be == nil {
					untested = append(untested, name)
					continue
				}
				var cheap []string
				if r.verdict(bd, c) != verdictHigher {
					cheap = append(cheap, "(d) class weighting")
				}
				if r.verdict(be, c) != verdictHigher {
					cheap = append(cheap, "(e) oversampling")
				}
				if len(cheap) == 0 {
					earns = append(earns, name)
				} else {
					notBeyondCheap = append(notBeyondCheap, fmt.Sprintf("%s (not beyond noise against %s)", name, strings.Join(cheap, " or ")))
				}
			}
		}
		for _, d := range ba.Differences {
			find = append(find, "Paired bootstrap over holdout images: "+d.Statement+".")
		}
		if len(earns) > 0 {
			find = append(find, fmt.Sprintf("Synthetic data earns its place for %s: real + synthetic beats real only, class weighting and oversampling beyond noise.", strings.Join(earns, ", ")))
		}
		if len(notBeyondCheap) > 0 {
			find = append(find, fmt.Sprintf("Real + synthetic beats real only for %s; a cheaper fix does about as well there, so synthetic data does not earn its place on this evidence.", strings.Join(notBeyondCheap, "; ")))
		}
		if len(untested) > 0 {
			find = append(find, fmt.Sprintf("Real + synthetic beats real only beyond noise for %s; regimes (d) and (e) were not both run, so whether the cheaper fixes do as well is untested.", strings.Join(untested, ", ")))
		}
		if len(within) > 0 {
			find = append(find, fmt.Sprintf("For %s the difference between real + synthetic and real only is within noise.", strings.Join(within, ", ")))
		}
		if len(seedNoise) > 0 {
			find = append(find, fmt.Sprintf("For %s the bootstrap over holdout images excludes zero, but the difference of mean sensitivities is no larger than their standard deviation over repeats: within the noise between training seeds.", strings.Join(seedNoise, ", ")))
		}
		if len(worse) > 0 {
			find = append(find, fmt.Sprintf("Adding synthetic images lowered sensitivity beyond noise for %s.", strings.Join(worse, ", ")))
		}
		if len(small) > 0 {
			find = append(find, fmt.Sprintf("Too few holdout images to compare %s (fewer than %d).", strings.Join(small, ", "), r.MinSupport))
		}
		switch {
		case len(earns) > 0:
		case bd == nil || be == nil:
			find = append(find, "Overall: the comparison with class weighting (d) and oversampling (e) was not run, so this report does not show that synthetic data beats the cheaper fixes.")
		default:
			find = append(find, "Overall: on this data, synthetic augmentation did not beat real only, class weighting (d) and oversampling (e) beyond noise for any class; the published gains are not reproduced here.")
		}
	}
	for _, fix := range []string{RegimeWeighted, RegimeOversampled} {
		cmp := r.comparison(RegimeReal, fix, "holdout")
		if cmp == nil {
			continue
		}
		groups := map[string][]string{}
		for c, d := range cmp.Differences {
			v := r.verdict(cmp, c)
			groups[v] = append(groups[v], d.Class)
		}
		var parts []string
		for _, g := range []struct{ v, say string }{{verdictHigher, "higher beyond noise for "}, {verdictLower, "lower beyond noise for "},
			{verdictWithin, "within noise for "}, {verdictSeedNoise, "within the spread between seeds for "}, {verdictTooFew, "not comparable (too few holdout images) for "}} {
			if len(groups[g.v]) > 0 {
				parts = append(parts, g.say+strings.Join(groups[g.v], ", "))
			}
		}
		find = append(find, fmt.Sprintf("(%s) %s against (a) real only, sensitivity: %s.", fix, RegimeNames[fix], strings.Join(parts, "; ")))
	}
	if a, c := r.regime(RegimeReal), r.regime(RegimeSynthetic); a != nil && c != nil {
		find = append(find, fmt.Sprintf("Trained on synthetic images only and tested on real holdout patients, balanced accuracy is %s (real only: %s).",
			c.Holdout.BalancedAccuracy, a.Holdout.BalancedAccuracy))
	}
	if r.Repeats < 2 {
		notes = append(notes, "Only one repeat: no standard deviation over training seeds; run --repeats 3 or more before drawing conclusions.")
	}
	notes = append(notes, "± is the standard deviation over repeats (different seeds for initialisation, validation split, augmentation and synthetic subsets). "+
		"Confidence intervals of differences come from a paired bootstrap over holdout images, with every repeat's prediction of an image kept together; they reflect test-set noise, and the ± column reflects training noise. A difference is called beyond noise only when the interval excludes zero and, with two or more repeats, the difference of means exceeds the larger standard deviation.")
	for _, reg := range r.Regimes {
		for _, cs := range reg.Holdout.PerClass {
			if cs.Undefined != "" && reg.Key == r.Regimes[0].Key {
				notes = append(notes, fmt.Sprintf("%s (holdout): some metrics are marked n/a: %s.", cs.Class, cs.Undefined))
			}
		}
		for _, run := range reg.Runs {
			for c, n := range run.SyntheticShortfall {
				if n > 0 {
					notes = append(notes, fmt.Sprintf("(%s) repeat %d: %d synthetic %s images short of balancing that class to the majority count; make more synthetic images.", reg.Key, run.Repeat, n, c))
				}
			}
		}
	}
	versions := map[string]bool{}
	for _, reg := range r.Regimes {
		for _, run := range reg.Runs {
			versions[run.CodeVersion] = true
		}
	}
	if len(versions) > 1 {
		notes = append(notes, fmt.Sprintf("The models were trained by %d different raysynth versions (finished runs are reused across versions; see runs[].code_version in report.json); delete eval/runs to retrain them all with this one.", len(versions)))
	}
	if r.Fidelity == nil && r.Synthetic != "" {
		notes = append(notes, "Fidelity and diversity are measured in the embedding of the first real-only model: run regime (a) to get them.")
	}
	if r.Synthetic == train.SyntheticCandidates {
		notes = append(notes, "The synthetic set is the candidates (before the privacy gate): results may include images that would not be released.")
	}
	slices.Sort(notes[1:])
	notes = slices.Compact(notes)
	return find, notes
}

func writeReport(dir string, r *Report) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode evaluation report: %w", err)
	}
	if err := fsutil.WriteFile(filepath.Join(dir, EvalReportJSON), append(b, '\n'), 0o644); err != nil {
		return err
	}
	if err := fsutil.WriteFile(filepath.Join(dir, EvalReportMD), []byte(r.Markdown()), 0o644); err != nil {
		return err
	}
	return sensitivityChart(filepath.Join(dir, EvalChart), r)
}

// Table returns the headline table in the style of the published results: one row per regime,
// accuracy, balanced accuracy and per-class sensitivity on the holdout (mean ± sd).
func (r *Report) Table() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "| regime | accuracy | balanced accuracy | macro-F1 | sensitivity %s |\n", strings.Join(r.Classes, " / "))
	sb.WriteString("|---|---|---|---|---|\n")
	for _, reg := range r.Regimes {
		var sens []string
		for _, cs := range reg.Holdout.PerClass {
			s := cs.Sensitivity.String()
			if cs.Sensitivity.N < cs.Sensitivity.Of {
				s += " †"
			}
			sens = append(sens, s)
		}
		fmt.Fprintf(&sb, "| (%s) %s | %s | %s | %s | %s |\n", reg.Key, reg.Name, reg.Holdout.Accuracy, reg.Holdout.BalancedAccuracy, reg.Holdout.MacroF1, strings.Join(sens, " / "))
	}
	return sb.String()
}

// balancedSpread is the larger standard deviation over repeats of the two regimes' holdout
// balanced accuracy (0 when undefined).
func (r *Report) balancedSpread(a, b string) float64 {
	var sd float64
	for _, key := range []string{a, b} {
		if reg := r.regime(key); reg != nil && reg.Holdout.BalancedAccuracy.SD.Defined() {
			sd = max(sd, float64(reg.Holdout.BalancedAccuracy.SD))
		}
	}
	return sd
}

// balancedVariant says how regime (b) differed from the plain top-up to the majority count ("" when
// it did not).
func (r *Report) balancedVariant() string {
	var parts []string
	if r.BalancedMix == MixEqual {
		parts = append(parts, "every class's real train images repeated up to the majority class's count (as in (e)), plus the same number of synthetic images in every class, so the synthetic share is the same in every class")
	}
	switch {
	case r.SyntheticPerReal > 0 && r.BalancedMix == MixEqual:
		parts = append(parts, fmt.Sprintf("%g synthetic example(s) per real example in every class (synthetic images repeated as needed)", r.SyntheticPerReal))
	case r.SyntheticPerReal > 0:
		parts = append(parts, fmt.Sprintf("at most %g synthetic images per real train image of a class", r.SyntheticPerReal))
	}
	switch r.BalancedRebalance {
	case RebalanceWeighted:
		parts = append(parts, "then a class-weighted loss over real + synthetic")
	case RebalanceOversample:
		parts = append(parts, "then minority classes oversampled over real + synthetic")
	}
	return strings.Join(parts, ", ")
}

// Markdown renders report.md: tables a clinician can read and the findings in plain words.
func (r *Report) Markdown() string {
	var sb strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&sb, format, a...) }
	p("# Does adding synthetic X-rays help? Evaluation report\n\n")
	p("train.Classifier trained %d time(s) per regime (different seeds), at most %d epochs each, %d×%d images, early stopping on a validation subset of train patients; tested on the real **holdout** patients, never seen by the generators or the classifiers. Synthetic set: %s.\n\n",
		r.Repeats, r.Epochs, r.ImageSize, r.ImageSize, orNone(r.Synthetic))
	if v := r.balancedVariant(); v != "" {
		p("Regime (b) in this run: %s.\n\n", v)
	}
	p("| class | train images (patients) | holdout images (patients) | synthetic images |\n|---|---|---|---|\n")
	for _, c := range r.Classes {
		syn := "–"
		if r.Data.SyntheticImages != nil {
			syn = fmt.Sprint(r.Data.SyntheticImages[c])
		}
		p("| %s | %d (%d) | %d (%d) | %s |\n", c, r.Data.TrainImages[c], r.Data.TrainPatients[c], r.Data.HoldoutImages[c], r.Data.HoldoutPatients[c], syn)
	}
	p("\n## Results on the holdout patients (mean ± sd over repeats)\n\n")
	sb.WriteString(r.Table())
	p("\n† some repeats had no value (see notes). n/a: too few holdout images of the class for the metric (fewer than %d), marked rather than hidden.\n", r.MinSupport)
	p("\n## Findings\n\n")
	for _, f := range r.Findings {
		p("- %s\n", f)
	}
	p("\n## Per class (holdout)\n\n")
	for ci, c := range r.Classes {
		p("### %s (%d holdout images)\n\n| regime | sensitivity | specificity | precision | F1 | AUC |\n|---|---|---|---|---|---|\n", c, r.Data.HoldoutImages[c])
		for _, reg := range r.Regimes {
			cs := reg.Holdout.PerClass[ci]
			p("| (%s) %s | %s | %s | %s | %s | %s |\n", reg.Key, reg.Name, cs.Sensitivity, cs.Specificity, cs.Precision, cs.F1, cs.AUC)
		}
		p("\n")
	}
	if len(r.Comparisons) > 0 {
		p("## Differences in sensitivity (B − A, paired bootstrap over holdout images)\n\n| B − A | class | difference | 95%% CI | beyond noise (test images and seeds)? |\n|---|---|---|---|---|\n")
		for _, c := range r.Comparisons {
			if c.Test != "holdout" {
				continue
			}
			for _, d := range c.Differences {
				ci := "n/a"
				if d.Lo.Defined() {
					ci = fmt.Sprintf("%+.3f to %+.3f", float64(d.Lo), float64(d.Hi))
				}
				verdict := "no (within noise)"
				switch v := r.verdict(&c, ci0(r, d.Class)); v {
				case verdictTooFew:
					verdict = "too few images"
				case verdictSeedNoise:
					verdict = "no (within the spread between seeds)"
				case verdictHigher, verdictLower:
					verdict = "yes"
				}
				diff := "n/a"
				if d.Diff.Defined() {
					diff = fmt.Sprintf("%+.3f", float64(d.Diff))
				}
				p("| (%s) − (%s) | %s | %s | %s | %s |\n", c.B, c.A, d.Class, diff, ci, verdict)
			}
		}
		p("\n")
	}
	if len(r.Comparisons) > 0 {
		p("## Differences in balanced accuracy (B − A, paired bootstrap over holdout images)\n\n| B − A | B | A | difference | 95%% CI | beyond noise (test images and seeds)? |\n|---|---|---|---|---|---|\n")
		for _, c := range r.Comparisons {
			bd := c.BalancedAccuracy
			if c.Test != "holdout" || bd == nil {
				continue
			}
			ci, verdict := "n/a", "n/a"
			if bd.Lo.Defined() {
				ci = fmt.Sprintf("%+.3f to %+.3f", float64(bd.Lo), float64(bd.Hi))
				verdict = "no (within noise)"
				if bd.Beyond {
					verdict = "yes"
					if sd := r.balancedSpread(c.A, c.B); r.Repeats >= 2 && math.Abs(float64(bd.Diff)) <= sd {
						verdict = "no (within the spread between seeds)"
					}
				}
			}
			p("| (%s) − (%s) | %.3f | %.3f | %+.3f | %s | %s |\n", c.B, c.A, float64(bd.B), float64(bd.A), float64(bd.Diff), ci, verdict)
		}
		p("\n")
	}
	if f := r.Fidelity; f != nil {
		p("## Fidelity and diversity of the synthetic set (per class)\n\n")
		p("Embedding: %s. Fréchet distance (FD): lower is closer; the reference column is the distance between real train and real holdout images of the class, i.e. what real data scores. Precision: share of synthetic images inside the real holdout manifold (fidelity); recall: share of real holdout images inside the synthetic manifold (diversity); k-NN manifolds of Kynkäänniemi et al. 2019, k = %d.\n\n", f.Embedding, f.K)
		p("| class | synthetic | holdout | FD synthetic↔holdout | FD real train↔holdout (reference) | precision | recall |\n|---|---|---|---|---|---|---|\n")
		for _, c := range f.PerClass {
			p("| %s | %d | %d | %s | %s | %s | %s |\n", c.Class, c.Synthetic, c.Holdout, c.FD.Format(2), c.FDReference.Format(2), c.Precision.Format(3), c.Recall.Format(3))
		}
		for _, c := range f.PerClass {
			if c.Note != "" {
				p("\n- %s: %s", c.Class, c.Note)
			}
		}
		p("\n\n")
	}
	if len(r.Regimes) > 0 && r.Regimes[0].External != nil {
		p("## External test set (another workspace)\n\n| regime | accuracy | balanced accuracy | macro-F1 | sensitivity %s |\n|---|---|---|---|---|\n", strings.Join(r.Classes, " / "))
		for _, reg := range r.Regimes {
			if reg.External == nil {
				continue
			}
			var sens []string
			for _, cs := range reg.External.PerClass {
				sens = append(sens, cs.Sensitivity.String())
			}
			p("| (%s) %s | %s | %s | %s | %s |\n", reg.Key, reg.Name, reg.External.Accuracy, reg.External.BalancedAccuracy, reg.External.MacroF1, strings.Join(sens, " / "))
		}
		p("\n")
	}
	p("## Confusion matrices (holdout, summed over repeats; rows: true class, columns: predicted)\n\n")
	for _, reg := range r.Regimes {
		p("**(%s) %s**\n\n| true \\ predicted | %s |\n|---|%s\n", reg.Key, reg.Name, strings.Join(r.Classes, " | "), strings.Repeat("---|", len(r.Classes)))
		for t, row := range reg.Holdout.Confusion {
			cells := make([]string, len(row))
			for j, v := range row {
				cells[j] = fmt.Sprint(v)
			}
			p("| %s | %s |\n", r.Classes[t], strings.Join(cells, " | "))
		}
		p("\n")
	}
	p("## Notes\n\n")
	for _, n := range r.Notes {
		p("- %s\n", n)
	}
	p("\nSettings: seed %d, batch %d, learning rate %g, validation share %.2f, patience %d, augmentation %t, bootstrap seed %d. Models trained and tested in %.0f s in all; this run took %.0f s (%d finished runs reused).\n",
		r.Seed, r.Batch, r.LR, r.ValFraction, r.Patience, r.Augment, r.Seed, r.ModelSecs, r.Seconds, r.RunsReused)
	return sb.String()
}

// ci0 is the index of a class.
func ci0(r *Report, class string) int { return slices.Index(r.Classes, class) }

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
