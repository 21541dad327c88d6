package evaluate

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/raysynth/raysynth/internal/workspace/wstest"
	"github.com/raysynth/raysynth/train"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/raysynth/raysynth/internal/metrics"
)

func evalTestConfig(t *testing.T) Config {
	// Phantom chest films (internal/phantom) at 32×32: imbalanced, with a rare class whose
	// holdout (3 films) is too small for its metrics, which the report must mark.
	specs := []wstest.ClassSpec{{Class: "normal", Train: 6, Holdout: 2, FilmsPerPatient: 3}, {Class: "cardiomegaly", Train: 4, Holdout: 2, FilmsPerPatient: 3}, {Class: "pneumothorax", Train: 2, Holdout: 1, FilmsPerPatient: 3}}
	w := wstest.New(t, 32, specs, wstest.PhantomRender(t), 4)
	wstest.WriteFakeSynthetic(t, w, train.SyntheticCandidates, 12, 9) // TEST FIXTURE, not GAN output
	ext := wstest.New(t, 32, []wstest.ClassSpec{{Class: "normal", Train: 1, Holdout: 1, FilmsPerPatient: 3}, {Class: "cardiomegaly", Train: 1, Holdout: 1, FilmsPerPatient: 3}, {Class: "edema", Train: 1, Holdout: 0, FilmsPerPatient: 2}}, wstest.PhantomRender(t), 8)
	return Config{Workspace: w, TestWorkspace: ext, Repeats: 2, Epochs: 2, Batch: 8, LR: 2e-3, Seed: 11,
		Synthetic: train.SyntheticCandidates, ValFraction: 0.2, Patience: 0, Resamples: 200}
}

func TestEvaluateEndToEndAndResume(t *testing.T) {
	cfg := evalTestConfig(t)
	ctx := context.Background()
	rep, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := cfg.Workspace.EvalDir()
	for _, f := range []string{EvalReportJSON, EvalReportMD, EvalChart} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Fatalf("%s not written: %v", f, err)
		}
	}
	if len(rep.Regimes) != 5 {
		t.Fatalf("%d regimes, want 5", len(rep.Regimes))
	}
	for _, reg := range rep.Regimes {
		if len(reg.Runs) != 2 || len(reg.Holdout.Repeats) != 2 || reg.External == nil {
			t.Fatalf("regime %s: %d runs, %d holdout results, external %v", reg.Key, len(reg.Runs), len(reg.Holdout.Repeats), reg.External != nil)
		}
		if reg.Holdout.N != 15 {
			t.Fatalf("regime %s tested on %d holdout images, want 15", reg.Key, reg.Holdout.N)
		}
		run := reg.Runs[0]
		switch reg.Key {
		case RegimeBalanced:
			// Every class topped up with synthetic images to the majority class's real count.
			most := run.TrainReal["normal"]
			for _, c := range rep.Classes {
				if got := run.TrainReal[c] + run.TrainSynthetic[c]; got != most {
					t.Errorf("regime b, %s: %d real + %d synthetic, want %d in all", c, run.TrainReal[c], run.TrainSynthetic[c], most)
				}
			}
			if run.TrainSynthetic["normal"] != 0 || run.TrainSynthetic["pneumothorax"] == 0 {
				t.Errorf("regime b synthetic counts %v", run.TrainSynthetic)
			}
		case RegimeSynthetic:
			for c, n := range run.TrainReal {
				if n != 0 {
					t.Errorf("synthetic-only regime trained on %d real %s images", n, c)
				}
			}
		default:
			for c, n := range run.TrainSynthetic {
				if n != 0 {
					t.Errorf("regime %s trained on %d synthetic %s images", reg.Key, n, c)
				}
			}
		}
		// The holdout never leaks into training or validation.
		total := 0
		for _, c := range rep.Classes {
			total += run.TrainReal[c] + run.Validation[c]
		}
		if reg.Key != RegimeSynthetic && total != 36 {
			t.Errorf("regime %s: %d real train+validation images, want the 36 of the train split", reg.Key, total)
		}
	}
	// The rare class is marked, not hidden.
	pn := rep.Regimes[0].Holdout.PerClass[2]
	if pn.Class != "pneumothorax" || pn.Sensitivity.Mean.Defined() || !strings.Contains(pn.Undefined, "only 3 test images") {
		t.Fatalf("pneumothorax with 3 holdout images: sensitivity %v, reason %q", pn.Sensitivity, pn.Undefined)
	}
	if ext := rep.Data.ExternalSkipped["edema"]; ext != 2 {
		t.Errorf("external images of an unknown class skipped: %d, want 2", ext)
	}
	ba := rep.comparison(RegimeReal, RegimeBalanced, "holdout")
	if ba == nil || len(ba.Differences) != 3 || ba.Differences[0].Statement == "" || ba.Differences[2].Lo.Defined() {
		t.Fatalf("b − a comparison missing or wrong: %+v", ba)
	}
	if rep.comparison(RegimeWeighted, RegimeBalanced, "holdout") == nil || rep.comparison(RegimeOversampled, RegimeBalanced, "external") == nil {
		t.Fatal("b − d or b − e comparison missing")
	}
	if rep.Fidelity == nil || len(rep.Fidelity.PerClass) != 3 || !rep.Fidelity.PerClass[0].FD.Defined() || !rep.Fidelity.PerClass[0].Precision.Defined() {
		t.Fatalf("fidelity %+v", rep.Fidelity)
	}
	md, _ := os.ReadFile(filepath.Join(dir, EvalReportMD))
	for _, want := range []string{"| regime | accuracy | balanced accuracy", "not Inception", "n/a", "Findings", "within noise", "(b) real + synthetic, balanced", "candidates"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	if !slices.ContainsFunc(rep.Findings, func(s string) bool { return strings.Contains(s, "pneumothorax") && strings.Contains(s, "Too few") }) {
		t.Errorf("findings do not say the rare class is too small to compare: %q", rep.Findings)
	}
	var back Report
	raw, _ := os.ReadFile(filepath.Join(dir, EvalReportJSON))
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatalf("report.json: %v", err)
	}

	// A rerun reuses every finished run and reproduces the numbers.
	again, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if again.RunsReused != 10 {
		t.Fatalf("rerun reused %d runs, want 10", again.RunsReused)
	}
	for i := range rep.Regimes {
		a, b := rep.Regimes[i].Holdout, again.Regimes[i].Holdout
		if a.Accuracy != b.Accuracy || !slices.EqualFunc(a.Confusion, b.Confusion, slices.Equal[[]int]) {
			t.Fatalf("regime %s: rerun gave other results", rep.Regimes[i].Key)
		}
	}
	// Other settings train again.
	cfg.Epochs = 1
	cfg.Regimes = []string{RegimeReal, RegimeWeighted}
	cfg.TestWorkspace = nil
	third, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if third.RunsReused != 0 || len(third.Regimes) != 2 || third.Fidelity != nil {
		t.Fatalf("changed settings: reused %d runs, %d regimes", third.RunsReused, len(third.Regimes))
	}
	if !slices.ContainsFunc(third.Findings, func(s string) bool { return strings.Contains(s, "cannot say whether synthetic data helps") }) {
		t.Errorf("without regime b the findings must say the question is open: %q", third.Findings)
	}
}

func TestEvaluateRefusesMissingSyntheticSet(t *testing.T) {
	w := wstest.New(t, 32, []wstest.ClassSpec{{Class: "normal", Train: 2, Holdout: 1, FilmsPerPatient: 2}, {Class: "edema", Train: 2, Holdout: 1, FilmsPerPatient: 2}}, wstest.ToyRender, 1)
	cfg := Config{Workspace: w, Repeats: 1, Epochs: 1, Batch: 4, LR: 1e-3, Synthetic: train.SyntheticApproved, Seed: 1}
	if _, err := Run(context.Background(), cfg); !errors.Is(err, train.ErrNoSynthetic) {
		t.Fatalf("no approved set: %v, want train.ErrNoSynthetic", err)
	}
	cfg.Regimes = []string{"z"}
	if err := cfg.Validate(); err == nil {
		t.Fatal("regime z accepted")
	}
}

func TestSummariesMatchHandComputedMetrics(t *testing.T) {
	// Two repeats on 10 test images of 2 classes (5 each); metrics from internal/metrics.
	truth := []int{0, 0, 0, 0, 0, 1, 1, 1, 1, 1}
	p := func(pred ...int) *testOutput {
		o := &testOutput{}
		for _, c := range pred {
			row := []float64{0.8, 0.2}
			if c == 1 {
				row = []float64{0.3, 0.7}
			}
			o.Probs = append(o.Probs, row)
		}
		return o
	}
	ts, err := summarizeTest(metrics.Config{Classes: []string{"n", "p"}}, truth, []*testOutput{
		p(0, 0, 0, 0, 0, 1, 1, 1, 1, 1), // perfect
		p(0, 0, 0, 0, 1, 0, 0, 1, 1, 1), // sensitivity of p 3/5, of n 4/5
	})
	if err != nil {
		t.Fatal(err)
	}
	if ts.Accuracy.Mean != 0.85 || ts.PerClass[1].Sensitivity.Mean != 0.8 || ts.Confusion[1][0] != 2 || ts.Confusion[0][1] != 1 {
		t.Fatalf("accuracy %v, sensitivity p %v, confusion %v", ts.Accuracy, ts.PerClass[1].Sensitivity, ts.Confusion)
	}
}

func TestVerdictNeedsTestAndSeedEvidence(t *testing.T) {
	sum := func(mean, sd float64) metrics.Summary {
		return metrics.Summary{Mean: metrics.Metric(mean), SD: metrics.Metric(sd), N: 3, Of: 3}
	}
	reg := func(key string, mean, sd float64) RegimeReport {
		return RegimeReport{Key: key, Holdout: TestSummary{PerClass: []ClassSummary{{Class: "virus", Sensitivity: sum(mean, sd)}}}}
	}
	diff := func(d, lo, hi float64, beyond bool) metrics.Difference {
		return metrics.Difference{Class: "virus", Diff: metrics.Metric(d), Lo: metrics.Metric(lo), Hi: metrics.Metric(hi), Beyond: beyond}
	}
	for _, tc := range []struct {
		name       string
		meanA, sdA float64
		meanB, sdB float64
		d          metrics.Difference
		want       string
	}{
		{"bootstrap and seeds agree", 0.05, 0.03, 0.40, 0.10, diff(0.35, 0.2, 0.5, true), verdictHigher},
		{"bootstrap beyond, seeds not", 0.05, 0.16, 0.15, 0.02, diff(0.10, 0.02, 0.2, true), verdictSeedNoise},
		{"bootstrap within", 0.05, 0.01, 0.30, 0.01, diff(0.25, -0.01, 0.5, false), verdictWithin},
		{"lower", 0.60, 0.02, 0.20, 0.05, diff(-0.40, -0.5, -0.3, true), verdictLower},
		{"too few", 0.5, 0.1, 0.5, 0.1, metrics.Difference{Class: "virus", Diff: metrics.NaN, Lo: metrics.NaN, Hi: metrics.NaN}, verdictTooFew},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &Report{Repeats: 3, Classes: []string{"virus"}, Regimes: []RegimeReport{reg("a", tc.meanA, tc.sdA), reg("b", tc.meanB, tc.sdB)}}
			if got := r.verdict(&Comparison{A: "a", B: "b", Differences: []metrics.Difference{tc.d}}, 0); got != tc.want {
				t.Fatalf("verdict %q, want %q", got, tc.want)
			}
		})
	}
}

func TestFrechetBothOrdersKnownShift(t *testing.T) {
	// Shifting a set by a constant vector c changes only the mean: the distance is ‖c‖².
	rng := rand.New(rand.NewPCG(3, 4))
	var a, b [][]float32
	for i := 0; i < 200; i++ {
		v := make([]float32, 6)
		w := make([]float32, 6)
		for j := range v {
			v[j] = float32(rng.NormFloat64())
			w[j] = v[j]
		}
		w[0] += 3
		w[5] -= 4
		a, b = append(a, v), append(b, w)
	}
	fd, note := frechet(a, b)
	if note != "" || math.Abs(float64(fd)-25) > 1e-6 {
		t.Fatalf("FD %v (note %q), want 25", fd, note)
	}
}

func TestEvaluateInterruptedResumesToSameResults(t *testing.T) {
	specs := []wstest.ClassSpec{{Class: "normal", Train: 4, Holdout: 2, FilmsPerPatient: 3}, {Class: "effusion", Train: 3, Holdout: 2, FilmsPerPatient: 3}}
	mk := func() Config {
		w := wstest.New(t, 32, specs, wstest.ToyRender, 6)
		return Config{Workspace: w, Repeats: 1, Epochs: 3, Batch: 8, LR: 2e-3, Seed: 2, Synthetic: train.SyntheticApproved,
			Regimes: []string{RegimeReal, RegimeWeighted}, ValFraction: 0.25, Resamples: 100}
	}
	ctx := context.Background()
	full, err := Run(ctx, mk())
	if err != nil {
		t.Fatal(err)
	}
	cfg := mk()
	cctx, cancel := context.WithCancel(ctx)
	cfg.Progress = &wstest.CancelAfter{N: 5, Cancel: cancel} // counts steps of every task
	if _, err := Run(cctx, cfg); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted evaluate: %v, want context.Canceled", err)
	}
	if _, err := os.Stat(filepath.Join(cfg.Workspace.EvalDir(), EvalReportJSON)); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("an interrupted evaluate wrote a report")
	}
	cfg.Progress = nil
	res, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := range full.Regimes {
		a, b := full.Regimes[i].Holdout.Repeats[0], res.Regimes[i].Holdout.Repeats[0]
		if !slices.EqualFunc(a.Confusion, b.Confusion, slices.Equal[[]int]) || a.PerClass[0].AUC != b.PerClass[0].AUC {
			t.Fatalf("regime %s: resumed run differs from the uninterrupted one", full.Regimes[i].Key)
		}
	}
}

// TestBalancedVariantCapsSyntheticAndRebalances: with SyntheticPerReal regime (b) adds at most
// that many synthetic images per real one of a class, its models are new runs (not the plain
// top-up's, reused), and the report says how (b) was made.
func TestBalancedVariantCapsSyntheticAndRebalances(t *testing.T) {
	cfg := evalTestConfig(t)
	cfg.TestWorkspace, cfg.Repeats, cfg.Epochs, cfg.Regimes = nil, 1, 1, []string{RegimeBalanced}
	ctx := context.Background()
	if _, err := Run(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	cfg.SyntheticPerReal, cfg.BalancedRebalance = 1, RebalanceWeighted
	rep, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.RunsReused != 0 {
		t.Errorf("the variant reused %d run(s) of the plain top-up", rep.RunsReused)
	}
	run := rep.Regimes[0].Runs[0]
	capped := false
	for _, c := range rep.Classes {
		if run.TrainSynthetic[c] > run.TrainReal[c] {
			t.Errorf("%s: %d synthetic images for %d real ones, want at most 1 per real", c, run.TrainSynthetic[c], run.TrainReal[c])
		}
		if run.TrainSynthetic[c] > 0 && run.TrainSynthetic[c] == run.TrainReal[c] {
			capped = true
		}
	}
	if !capped {
		t.Errorf("no class reached the cap: %v synthetic for %v real", run.TrainSynthetic, run.TrainReal)
	}
	md, _ := os.ReadFile(filepath.Join(cfg.Workspace.EvalDir(), EvalReportMD))
	if want := "Regime (b) in this run: at most 1 synthetic images per real train image of a class, then a class-weighted loss"; !strings.Contains(string(md), want) {
		t.Errorf("report.md lacks %q", want)
	}
	if rep.SyntheticPerReal != 1 || rep.BalancedRebalance != RebalanceWeighted {
		t.Errorf("report records per-real %v, rebalance %q", rep.SyntheticPerReal, rep.BalancedRebalance)
	}
	cfg.BalancedRebalance = "smote"
	if err := cfg.Validate(); err == nil {
		t.Error("rebalance smote accepted")
	}
}

// TestOnlyRepeatSavesItsRunsForTheReport: --repeat trains that repeat only and writes no report;
// the run without it reuses those models and trains the rest.
func TestOnlyRepeatSavesItsRunsForTheReport(t *testing.T) {
	cfg := evalTestConfig(t)
	cfg.TestWorkspace, cfg.Repeats, cfg.Epochs, cfg.Regimes = nil, 2, 1, []string{RegimeReal}
	ctx := context.Background()
	only := cfg
	only.OnlyRepeat = 2
	rep, err := Run(ctx, only)
	if err != nil || rep != nil {
		t.Fatalf("repeat 2 alone: report %v, err %v; want neither", rep, err)
	}
	runs := filepath.Join(cfg.Workspace.EvalDir(), EvalRunsDir)
	if _, err := os.Stat(filepath.Join(runs, "a-r1.json")); err != nil {
		t.Fatalf("repeat 2's run not saved: %v", err)
	}
	for _, f := range []string{filepath.Join(runs, "a-r0.json"), filepath.Join(cfg.Workspace.EvalDir(), EvalReportJSON)} {
		if _, err := os.Stat(f); err == nil {
			t.Errorf("%s written by a run of repeat 2 only", f)
		}
	}
	if rep, err = Run(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if rep.RunsReused != 1 || len(rep.Regimes[0].Runs) != 2 {
		t.Errorf("full run reused %d run(s) and has %d, want 1 and 2", rep.RunsReused, len(rep.Regimes[0].Runs))
	}
	only.OnlyRepeat = 3
	if err := only.Validate(); err == nil {
		t.Error("repeat 3 of 2 accepted")
	}
}

// TestEqualMixGivesEveryClassTheSameSyntheticShare: with BalancedMix MixEqual regime (b) trains
// on the same number of real (repeated) and of synthetic images in every class, so being synthetic
// carries no information about the class; the plain top-up does not; the report says how (b) was
// made; and the mix takes no per-real cap or rebalancing.
func TestEqualMixGivesEveryClassTheSameSyntheticShare(t *testing.T) {
	cfg := evalTestConfig(t)
	cfg.TestWorkspace, cfg.Repeats, cfg.Epochs, cfg.Regimes = nil, 1, 1, []string{RegimeBalanced}
	cfg.BalancedMix, cfg.KeepModels = MixEqual, true
	d, err := loadEvalData(cfg)
	if err != nil {
		t.Fatal(err)
	}
	d.frac = cfg.ValFraction
	// unequal synthetic pools (the fixture has as many of every class), as a release capped per
	// real film makes them: the mix must still take the same number from every class
	kept := 0
	d.synthetic = slices.DeleteFunc(d.synthetic, func(e train.Example) bool {
		if d.classes[e.Class()] != "cardiomegaly" {
			return false
		}
		kept++
		return kept > 5
	})
	shares := func(tr []train.Example) (real, syn []int) {
		return train.ClassCounts(slices.DeleteFunc(slices.Clone(tr), train.Example.Synthetic), 3),
			train.ClassCounts(slices.DeleteFunc(slices.Clone(tr), func(e train.Example) bool { return !e.Synthetic() }), 3)
	}
	for r := range 4 {
		seed := repeatSeed(cfg.Seed, r)
		tr, val, short, err := regimeSets(d, RegimeBalanced, cfg, seed)
		if err != nil || short != nil {
			t.Fatalf("repeat %d: shortfall %v, err %v", r, short, err)
		}
		realTr, realVal := train.SplitValidation(d.train, d.frac, seed)
		if !slices.Equal(exampleIDs(val), exampleIDs(realVal)) {
			t.Errorf("repeat %d: validation differs from the real split's", r)
		}
		real, syn := shares(tr)
		for c := range real {
			if real[c] != real[0] || syn[c] != syn[0] || syn[c] == 0 {
				t.Fatalf("repeat %d: real %v, synthetic %v per class: want the same nonzero counts in every class", r, real, syn)
			}
		}
		// every real train image is repeated the same number of times, give or take one
		times := map[string]int{}
		for _, e := range tr {
			if !e.Synthetic() {
				times[e.ID()]++
			}
		}
		if len(times) != len(realTr) {
			t.Errorf("repeat %d: %d distinct real images trained on, want all %d", r, len(times), len(realTr))
		}
		for _, e := range realTr {
			if lo := real[e.Class()] / train.ClassCounts(realTr, 3)[e.Class()]; times[e.ID()] < lo || times[e.ID()] > lo+1 {
				t.Errorf("repeat %d: real image %s repeated %d times, want %d or %d", r, e.ID(), times[e.ID()], lo, lo+1)
			}
		}
		// the top-up leaves the majority class without synthetic images: the shortcut this mix removes
		topup := cfg
		topup.BalancedMix = MixTopUp
		tr, _, _, _ = regimeSets(d, RegimeBalanced, topup, seed)
		if _, syn := shares(tr); syn[slices.Index(d.classes, "normal")] != 0 || syn[slices.Index(d.classes, "pneumothorax")] == 0 {
			t.Errorf("top-up synthetic counts %v", syn)
		}
	}

	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	run := rep.Regimes[0].Runs[0]
	for _, c := range rep.Classes {
		if run.TrainReal[c] != run.TrainReal["normal"] || run.TrainSynthetic[c] != run.TrainSynthetic["normal"] {
			t.Errorf("report: %v real and %v synthetic per class, want equal counts", run.TrainReal, run.TrainSynthetic)
		}
	}
	if rep.BalancedMix != MixEqual {
		t.Errorf("report records mix %q", rep.BalancedMix)
	}
	if want := "real + synthetic, same share per class"; rep.Regimes[0].Name != want {
		t.Errorf("regime (b) is named %q in the report and its chart, want %q", rep.Regimes[0].Name, want)
	}
	md, _ := os.ReadFile(filepath.Join(cfg.Workspace.EvalDir(), EvalReportMD))
	if want := "so the synthetic share is the same in every class"; !strings.Contains(string(md), want) {
		t.Errorf("report.md lacks %q", want)
	}
	if _, err := train.LoadClassifier(filepath.Join(cfg.Workspace.EvalDir(), EvalRunsDir, "b-r0.model")); err != nil {
		t.Errorf("KeepModels kept no model of (b): %v", err)
	}
	// a finished run without a kept model is reused, not retrained, when models are kept
	cfg.Regimes = []string{RegimeBalanced, RegimeReal}
	cfg.KeepModels = false
	if _, err := Run(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	cfg.Regimes = []string{RegimeBalanced, RegimeWeighted}
	cfg.KeepModels = true
	os.Remove(filepath.Join(cfg.Workspace.EvalDir(), EvalRunsDir, "b-r0.model"))
	if rep, err = Run(context.Background(), cfg); err != nil || rep.RunsReused != 1 {
		t.Fatalf("rerun with kept models: %d runs reused, err %v; want (b)'s 1", rep.RunsReused, err)
	}
	if _, err := os.Stat(filepath.Join(cfg.Workspace.EvalDir(), EvalRunsDir, "d-r0.model")); err != nil {
		t.Errorf("KeepModels kept no model of the newly trained (d): %v", err)
	}

	// with a share: every class gets perReal × the majority count of synthetic examples
	half := cfg
	half.SyntheticPerReal = 1
	tr, _, _, err := regimeSets(d, RegimeBalanced, half, repeatSeed(cfg.Seed, 0))
	if err != nil {
		t.Fatal(err)
	}
	if real, syn := shares(tr); !slices.Equal(real, syn) || syn[0] != real[0] || syn[1] != syn[0] || syn[2] != syn[0] {
		t.Errorf("synthetic-per-real 1: real %v, synthetic %v per class, want equal", real, syn)
	}

	for _, bad := range []Config{{BalancedMix: MixEqual, BalancedRebalance: RebalanceOversample}, {BalancedMix: MixEqual, BalancedRebalance: RebalanceWeighted}, {BalancedMix: "half"}} {
		c := cfg
		c.BalancedMix, c.SyntheticPerReal, c.BalancedRebalance = bad.BalancedMix, bad.SyntheticPerReal, bad.BalancedRebalance
		if err := c.Validate(); err == nil {
			t.Errorf("mix %q with per-real %v and rebalance %q accepted", bad.BalancedMix, bad.SyntheticPerReal, bad.BalancedRebalance)
		}
	}
}

func exampleIDs(ex []train.Example) []string {
	ids := make([]string, len(ex))
	for i, e := range ex {
		ids[i] = e.ID()
	}
	return ids
}
