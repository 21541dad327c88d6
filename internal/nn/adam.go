package nn

import "math"

// Adam is the Adam optimiser (Kingma & Ba), with PyTorch's update rule, over a fixed list of
// parameters. Its whole state (step count and moments) is exported so checkpoints can save and
// restore it exactly; gorgonia's AdamSolver keeps its moments private, so a resumed run could not
// continue it bit for bit.
type Adam struct {
	LR, Beta1, Beta2, Eps float64
	Step                  int64
	M, V                  [][]float32
}

// NewAdam returns an optimiser for parameters of the given sizes.
func NewAdam(lr, beta1 float64, sizes []int) *Adam {
	a := &Adam{LR: lr, Beta1: beta1, Beta2: 0.999, Eps: 1e-8}
	for _, n := range sizes {
		a.M = append(a.M, make([]float32, n))
		a.V = append(a.V, make([]float32, n))
	}
	return a
}

// Update applies one step: params[i] -= lr·m̂/(√v̂+eps) with grads[i].
func (a *Adam) Update(params []*Param, grads [][]float32) {
	a.Step++
	b1, b2 := float32(a.Beta1), float32(a.Beta2)
	bc1 := 1 - math.Pow(a.Beta1, float64(a.Step))
	bc2 := 1 - math.Pow(a.Beta2, float64(a.Step))
	k := adamCoef{b1: b1, omb1: 1 - b1, b2: b2, omb2: 1 - b2,
		step: float32(a.LR / bc1), sq: float32(math.Sqrt(bc2)), eps: float32(a.Eps)}
	for i, p := range params {
		w, g, m, v := p.Data, grads[i], a.M[i], a.V[i]
		parallel(len(w), func(lo, hi int) {
			kAdam(w[lo:hi], g[lo:hi], m[lo:hi], v[lo:hi], k)
		})
	}
}

// MovingAverage folds w into its exponential moving average avg (same length) with decay d:
// avg = d·avg + (1-d)·w. It runs on every core (vectorised in builds with C kernels) and gives
// the same bits as the plain float32 loop in every build.
func MovingAverage(avg, w []float32, d float32) {
	if len(w) != len(avg) {
		panic("nn.MovingAverage: lengths differ")
	}
	parallel(len(avg), func(lo, hi int) { kMovingAvg(avg[lo:hi], w[lo:hi], d) })
}
