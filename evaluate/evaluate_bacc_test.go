package evaluate

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBalancedBootstrap(t *testing.T) {
	// 3 classes, 40 images each; A calls everything class 0, B is right on 90% of every class
	var truth []int
	for c := range 3 {
		for range 40 {
			truth = append(truth, c)
		}
	}
	allZero := make([]int, len(truth))
	good := make([]int, len(truth))
	for i, c := range truth {
		good[i] = c
		if i%10 == 0 {
			good[i] = (c + 1) % 3
		}
	}
	for _, tc := range []struct {
		name           string
		a, b           [][]int
		diff           float64
		beyond         bool
		lo, hi, a0, b0 float64
	}{
		{name: "same predictions", a: [][]int{allZero, good}, b: [][]int{allZero, good}, diff: 0, a0: (1.0/3 + 0.9) / 2, b0: (1.0/3 + 0.9) / 2},
		{name: "B better", a: [][]int{allZero, allZero}, b: [][]int{good, good}, diff: 0.9 - 1.0/3, beyond: true, a0: 1.0 / 3, b0: 0.9},
		{name: "B worse", a: [][]int{good}, b: [][]int{allZero}, diff: 1.0/3 - 0.9, beyond: true, a0: 0.9, b0: 1.0 / 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := balancedBootstrap(3, 5, 500, 1, truth, tc.a, tc.b)
			if math.Abs(float64(d.Diff)-tc.diff) > 1e-9 || math.Abs(float64(d.A)-tc.a0) > 1e-9 || math.Abs(float64(d.B)-tc.b0) > 1e-9 {
				t.Errorf("A %v, B %v, diff %v; want %v, %v, %v", d.A, d.B, d.Diff, tc.a0, tc.b0, tc.diff)
			}
			if d.Beyond != tc.beyond || !(float64(d.Lo) <= tc.diff && tc.diff <= float64(d.Hi)) {
				t.Errorf("interval %v to %v, beyond %v; want it around %v, beyond %v", d.Lo, d.Hi, d.Beyond, tc.diff, tc.beyond)
			}
		})
	}
}

// TestReportComparesBalancedAccuracy: the report gives each comparison's balanced accuracy
// difference with an interval, its point values equal to the regimes' mean balanced accuracy.
func TestReportComparesBalancedAccuracy(t *testing.T) {
	cfg := evalTestConfig(t)
	cfg.TestWorkspace, cfg.Repeats, cfg.Epochs, cfg.Regimes = nil, 2, 1, []string{RegimeReal, RegimeOversampled}
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, c := range rep.Comparisons {
		if c.A != RegimeReal || c.B != RegimeOversampled || c.Test != "holdout" {
			continue
		}
		found = true
		bd := c.BalancedAccuracy
		if bd == nil || !bd.Lo.Defined() || bd.Lo > bd.Diff || bd.Diff > bd.Hi {
			t.Fatalf("balanced accuracy comparison %+v", bd)
		}
		a, e := rep.regime(RegimeReal).Holdout.BalancedAccuracy.Mean, rep.regime(RegimeOversampled).Holdout.BalancedAccuracy.Mean
		if math.Abs(float64(bd.A-a)) > 1e-9 || math.Abs(float64(bd.B-e)) > 1e-9 {
			t.Errorf("comparison's balanced accuracy %v and %v, regimes' means %v and %v", bd.A, bd.B, a, e)
		}
	}
	if !found {
		t.Fatal("no (e) − (a) comparison on the holdout")
	}
	md, _ := os.ReadFile(filepath.Join(cfg.Workspace.EvalDir(), EvalReportMD))
	if !strings.Contains(string(md), "## Differences in balanced accuracy (B − A, paired bootstrap over holdout images)") ||
		!strings.Contains(string(md), "| (e) − (a) | ") {
		t.Errorf("report.md lacks the balanced accuracy differences")
	}
}
