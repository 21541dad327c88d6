package nn

import (
	"math"
	"testing"
)

func TestAdamFirstStepAndConvergence(t *testing.T) {
	p := NewParam("w", 3)
	copy(p.Data, []float32{1, -2, 3})
	a := NewAdam(0.1, 0.5, []int{3})
	// The first bias-corrected step moves every weight by lr against the sign of its gradient.
	a.Update([]*Param{p}, [][]float32{{2, -4, 0.5}})
	want := []float32{0.9, -1.9, 2.9}
	for i := range want {
		if math.Abs(float64(p.Data[i]-want[i])) > 1e-5 {
			t.Fatalf("after one step w = %v, want %v", p.Data, want)
		}
	}
	// Minimising Σ w² drives the weights to 0.
	for range 300 {
		g := make([]float32, 3)
		for i, w := range p.Data {
			g[i] = 2 * w
		}
		a.Update([]*Param{p}, [][]float32{g})
	}
	for _, w := range p.Data {
		if math.Abs(float64(w)) > 0.05 {
			t.Fatalf("Adam did not minimise Σw²: w = %v", p.Data)
		}
	}
}
