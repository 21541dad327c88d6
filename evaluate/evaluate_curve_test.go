package evaluate

import (
	"encoding/json"
	"errors"
	"github.com/raysynth/raysynth/train"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/raysynth/raysynth/internal/metrics"
	"github.com/raysynth/raysynth/internal/workspace"
)

// curveWorkspace writes the files a curve point reads: an evaluation report whose regime (b)
// has the given balanced accuracy and normal sensitivity, and one generator summary per class
// (with DP at eps[class] when present).
func curveWorkspace(t *testing.T, holdoutNormal int, balAcc float64, eps map[string]float64) *workspace.Workspace {
	t.Helper()
	w := &workspace.Workspace{Dir: t.TempDir()}
	classes := []string{"normal", "virus"}
	sum := func(v float64) metrics.Summary {
		return metrics.Summary{Mean: metrics.Metric(v), SD: 0.01, N: 2, Of: 2}
	}
	reg := func(key string, v float64) RegimeReport {
		return RegimeReport{Key: key, Name: RegimeNames[key], Holdout: TestSummary{BalancedAccuracy: sum(v), MacroF1: sum(v),
			PerClass: []ClassSummary{{Class: "normal", Sensitivity: sum(v)}, {Class: "virus", Sensitivity: sum(v / 2)}}}}
	}
	rep := Report{Format: 1, Classes: classes, Repeats: 2, Epochs: 1, Seed: 1, Synthetic: train.SyntheticCandidates, ImageSize: 32,
		Data:    EvalCounts{TrainImages: map[string]int{"normal": 20, "virus": 10}, HoldoutImages: map[string]int{"normal": holdoutNormal, "virus": 5}},
		Regimes: []RegimeReport{reg(RegimeReal, 0.7), reg(RegimeBalanced, balAcc), reg(RegimeSynthetic, balAcc/2)},
		Comparisons: []Comparison{{A: RegimeReal, B: RegimeBalanced, Test: "holdout", Differences: []metrics.Difference{
			{Class: "normal", Diff: metrics.Metric(balAcc - 0.7), Lo: metrics.Metric(balAcc - 0.75), Hi: metrics.Metric(balAcc - 0.65), Beyond: math.Abs(balAcc-0.7) > 0.05},
			{Class: "virus", Diff: 0, Lo: -0.1, Hi: 0.1}}}},
		Fidelity: &Fidelity{PerClass: []FidelityClass{{Class: "normal", FD: metrics.Metric(100 * (1 - balAcc)), FDReference: 2},
			{Class: "virus", FD: 50, FDReference: 3}}},
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(w.EvalDir(), 0o755)
	if err := os.WriteFile(filepath.Join(w.EvalDir(), EvalReportJSON), b, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range classes {
		gs := map[string]any{"class": c, "epochs": 20, "batch": 32, "dp": nil}
		if e, ok := eps[c]; ok {
			gs["dp"] = train.DPSummary{Epsilon: e, Delta: 1e-4, NoiseMultiplier: 1.2, SamplingRate: 0.05, Steps: 400, Accountant: "rdp/1", Unit: "patient"}
		}
		b, _ := json.Marshal(gs)
		os.MkdirAll(w.Path("gan", c), 0o755)
		if err := os.WriteFile(w.Path("gan", c, train.SummaryFile), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

func loadPoints(t *testing.T, ws ...*workspace.Workspace) []*DPCurvePoint {
	t.Helper()
	var ps []*DPCurvePoint
	for _, w := range ws {
		p, err := LoadDPCurvePoint(w)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	return ps
}

func TestDPCurveOrdersByEpsilonAndStatesFindings(t *testing.T) {
	np := curveWorkspace(t, 40, 0.8, nil)
	e8 := curveWorkspace(t, 40, 0.72, map[string]float64{"normal": 7.9, "virus": 8})
	e1 := curveWorkspace(t, 40, 0.5, map[string]float64{"normal": 1, "virus": 0.98})
	ps := loadPoints(t, np, e8, e1)
	c, err := BuildDPCurve(ps)
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, p := range c.Points {
		labels = append(labels, p.Label())
	}
	if got := strings.Join(labels, ","); got != "ε 1,ε 8,non-private" {
		t.Fatalf("order %s", got)
	}
	if c.Points[1].Epsilon != 8 || c.Points[1].PerClassDP["normal"].Epsilon != 7.9 || c.Points[2].Private {
		t.Fatalf("epsilon taken wrong: %+v", c.Points[1])
	}
	n := c.Points[0].PerClass[0]
	if n.Class != "normal" || float64(n.SensitivityB.Mean) != 0.5 || float64(n.FD) != 50 || n.Verdict != verdictLower {
		t.Fatalf("normal at ε 1: %+v", n)
	}
	f := c.Findings[0]
	for _, want := range []string{"normal:", "lower at ε 1 (-0.200)", "higher at non-private (+0.100)", "Fréchet distance to the holdout: ε 1 50.0, ε 8 28.0, non-private 20.0 (real train images: 2.0)"} {
		if !strings.Contains(f, want) {
			t.Errorf("finding %q lacks %q", f, want)
		}
	}
	if !strings.Contains(c.Findings[1], "virus: real + synthetic against real only, sensitivity within noise at every point") {
		t.Errorf("virus finding: %q", c.Findings[1])
	}
	if len(c.Notes) != 0 {
		t.Errorf("notes on matching points: %v", c.Notes)
	}
	dir := t.TempDir()
	if err := WriteDPCurve(dir, c); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{DPCurveJSON, DPCurveMD, DPCurveChartSen, DPCurveChartFD} {
		if st, err := os.Stat(filepath.Join(dir, name)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	md, _ := os.ReadFile(filepath.Join(dir, DPCurveMD))
	if !strings.Contains(string(md), "| ε 8 | 8 | 0.0001 | normal 400 (σ 1.2, q 0.05); virus 400 (σ 1.2, q 0.05) | 0.720 ± 0.010 |") {
		t.Errorf("markdown table row for ε 8 missing:\n%s", md)
	}
}

func TestDPCurveRefusesOtherSplitsAndMixedGenerators(t *testing.T) {
	np := curveWorkspace(t, 40, 0.8, nil)
	other := curveWorkspace(t, 41, 0.7, map[string]float64{"normal": 4, "virus": 4})
	ps := loadPoints(t, np, other)
	if _, err := BuildDPCurve(ps); !errors.Is(err, ErrCurveMismatch) || !strings.Contains(err.Error(), "class normal") {
		t.Fatalf("other holdout: %v", err)
	}
	mixed := curveWorkspace(t, 40, 0.7, map[string]float64{"normal": 4})
	if _, err := LoadDPCurvePoint(mixed); err == nil || !strings.Contains(err.Error(), "1 of 2 class generators were trained with DP") {
		t.Fatalf("mixed generators: %v", err)
	}
	if _, err := BuildDPCurve(ps[:1]); err == nil {
		t.Fatal("one point made a curve")
	}
}

// Two points with the same ε are told apart by their sampling rate and epochs.
func TestDPCurveNamesPointsWithTheSameEpsilon(t *testing.T) {
	np := curveWorkspace(t, 40, 0.8, nil)
	a := curveWorkspace(t, 40, 0.72, map[string]float64{"normal": 8, "virus": 8})
	b := curveWorkspace(t, 40, 0.75, map[string]float64{"normal": 8, "virus": 8})
	ps := loadPoints(t, np, a, b)
	for c, d := range ps[2].PerClassDP {
		d.Rate = 0.15
		ps[2].PerClassDP[c] = d
	}
	d := ps[1].PerClassDP["virus"]
	d.Rate = 0.4
	ps[1].PerClassDP["virus"] = d
	c, err := BuildDPCurve(ps)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range c.Points {
		got = append(got, p.Label())
	}
	if s := strings.Join(got, " | "); s != "ε 8 (q 0.05–0.4, 20 epochs) | ε 8 (q 0.15, 20 epochs) | non-private" {
		t.Fatalf("labels %s", s)
	}
}
