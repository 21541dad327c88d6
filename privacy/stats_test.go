package privacy

import (
	"math"
	"testing"
)

func TestStats(t *testing.T) {
	for _, tc := range []struct {
		name      string
		got, want float64
	}{
		{"auc separated", rocAUC([]float64{3, 4, 5}, []float64{0, 1, 2}), 1},
		{"auc reversed", rocAUC([]float64{0, 1}, []float64{2, 3}), 0},
		{"auc ties", rocAUC([]float64{1, 1}, []float64{1, 1}), 0.5},
		{"auc mixed", rocAUC([]float64{1, 3}, []float64{2, 0}), 0.75},
		{"tpr separated", tprAtFPR([]float64{3, 4, 5}, []float64{0, 1, 2}, 0.01), 1},
		{"tpr interpolated", tprAtFPR([]float64{10, 1}, []float64{5, 0}, 0.25), 0.5},
		{"tpr none", tprAtFPR([]float64{0, 1}, []float64{2, 3}, 0.01), 0},
		{"p50", percentile([]float64{4, 1, 3, 2}, 50), 2.5},
		{"p0", percentile([]float64{4, 1, 3, 2}, 0), 1},
		{"p100", percentile([]float64{4, 1, 3, 2}, 100), 4},
		{"p5", percentile([]float64{0, 10}, 5), 0.5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if math.Abs(tc.got-tc.want) > 1e-12 {
				t.Errorf("got %v, want %v", tc.got, tc.want)
			}
		})
	}
	if !math.IsNaN(rocAUC(nil, []float64{1})) {
		t.Error("AUC of no positives is not NaN")
	}
}
