package nn

import (
	"math"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
)

// BNStats are a BatchNorm layer's running statistics, used in eval mode and saved in checkpoints.
type BNStats struct {
	Mean, Var []float32
}

// NewBNStats returns running statistics for c channels (mean 0, variance 1).
func NewBNStats(c int) *BNStats {
	s := &BNStats{Mean: make([]float32, c), Var: make([]float32, c)}
	for i := range s.Var {
		s.Var[i] = 1
	}
	return s
}

// BNMode selects how a BatchNorm layer normalises.
type BNMode int

const (
	// BNTrain normalises with the batch statistics and updates the running ones.
	BNTrain BNMode = iota
	// BNTrainFrozen normalises with the batch statistics and leaves the running ones alone (a
	// second forward pass over the same batch in one training step).
	BNTrainFrozen
	// BNEval normalises with the running statistics.
	BNEval
)

// BatchNorm momentum and epsilon (PyTorch's defaults).
const (
	bnMomentum = 0.1
	bnEps      = 1e-5
)

type bnOp struct {
	base
	st     *BNStats
	mode   BNMode
	c      int
	rows   int  // rows of c values in the whole input
	groups int  // the batch is split into groups normalised separately (e.g. real | fake)
	act    bool // fused activation after the affine step: LeakyReLU(alpha), ReLU when alpha is 0
	alpha  float32

	mean, invstd  []float32 // per group × channel, saved by the forward pass
	a, b          []float32 // per group × channel: y = x·a + b
	part          []float32 // reduceChunks × c partial sums
	part2         []float32 // reduceChunks × 2c partial sums (backward)
	dgamma, dbeta []float32 // totals over groups, left by the backward pass
	gsum, gxsum   []float32 // per group × channel
}

func (op *bnOp) reusable() *base { return &op.base }
func (op *bnOp) Arity() int      { return 3 }
func (op *bnOp) Type() hm.Type   { return hm.NewFnType(tt(4), tt(4), tt(4), tt(4)) }
func (op *bnOp) DiffWRT(int) []bool {
	return []bool{true, true, true}
}

func (op *bnOp) groupRows(gi int) (int, int) {
	return op.rows * gi / op.groups, op.rows * (gi + 1) / op.groups
}

func (op *bnOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	if op.held {
		return op.value(), nil
	}
	x, gamma, beta, y := f32s(in[0]), f32s(in[1]), f32s(in[2]), op.data()
	c := op.c
	bf := op.produce(len(y))
	for gi := 0; gi < op.groups; gi++ {
		r0, r1 := op.groupRows(gi)
		mean, invstd := op.mean[gi*c:(gi+1)*c], op.invstd[gi*c:(gi+1)*c]
		if op.mode == BNEval {
			for j := 0; j < c; j++ {
				mean[j] = op.st.Mean[j]
				invstd[j] = float32(1 / math.Sqrt(float64(op.st.Var[j])+bnEps))
			}
		} else {
			xs := x[r0*c : r1*c]
			channelSums(xs, c, op.part, mean)
			n := float64(r1 - r0)
			for j := range mean {
				mean[j] = float32(float64(mean[j]) / n)
			}
			op.sqDevSums(xs, mean, invstd)
			for j := range invstd {
				v := float64(invstd[j]) / n
				invstd[j] = float32(1 / math.Sqrt(v+bnEps))
				if op.mode == BNTrain {
					unbiased := v * n / math.Max(n-1, 1)
					op.st.Mean[j] = float32((1-bnMomentum)*float64(op.st.Mean[j]) + bnMomentum*float64(mean[j]))
					op.st.Var[j] = float32((1-bnMomentum)*float64(op.st.Var[j]) + bnMomentum*unbiased)
				}
			}
		}
		a, b := op.a[gi*c:(gi+1)*c], op.b[gi*c:(gi+1)*c]
		for j := 0; j < c; j++ {
			a[j] = gamma[j] * invstd[j]
			b[j] = beta[j] - mean[j]*a[j]
		}
		act, al := op.act, op.alpha
		parallel(r1-r0, func(lo, hi int) {
			if bf != nil {
				kAffine16(x[(r0+lo)*c:(r0+hi)*c], y[(r0+lo)*c:(r0+hi)*c], c, hi-lo, a, b, act, al, bf[(r0+lo)*c:(r0+hi)*c])
				return
			}
			kAffine(x[(r0+lo)*c:(r0+hi)*c], y[(r0+lo)*c:(r0+hi)*c], c, hi-lo, a, b, act, al)
		})
	}
	if bf != nil {
		op.produced()
	}
	return op.value(), nil
}

// sqDevSums writes Σ (x-mean)² per channel into out.
func (op *bnOp) sqDevSums(x, mean, out []float32) {
	c := op.c
	chunked(len(x)/c, func(p, lo, hi int) {
		acc := op.part[p*c : (p+1)*c]
		clear(acc)
		kSqDev(x[lo*c:hi*c], c, hi-lo, mean, acc)
	})
	for j := 0; j < c; j++ {
		var s float64
		for p := 0; p < reduceChunks; p++ {
			s += float64(op.part[p*c+j])
		}
		out[j] = float32(s)
	}
}

func (op *bnOp) SymDiff(in gorgonia.Nodes, out, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	args := gorgonia.Nodes{in[0], in[1], grad}
	if op.act {
		args = append(args, out) // the activation's slope is read off the output's sign
	}
	dx, err := apply(&bnGradOp{base: newBase("batchNormGradX", op.shape...), fwd: op}, args...)
	if err != nil {
		return nil, err
	}
	dg, err := apply(&bnParamGradOp{base: newBase("batchNormGradScale", 1, 1, 1, op.c), fwd: op}, dx)
	if err != nil {
		return nil, err
	}
	db, err := apply(&bnParamGradOp{base: newBase("batchNormGradShift", 1, 1, 1, op.c), fwd: op, shift: true}, dx)
	if err != nil {
		return nil, err
	}
	return gorgonia.Nodes{dx, dg, db}, nil
}

// bnGradOp computes dx from (x, gamma, dy[, y]) and leaves dgamma and dbeta in the forward op.
type bnGradOp struct {
	base
	fwd   *bnOp
	dyAct []float32 // dy through the fused activation
}

func (op *bnGradOp) Arity() int {
	if op.fwd.act {
		return 4
	}
	return 3
}
func (op *bnGradOp) Type() hm.Type {
	if op.fwd.act {
		return hm.NewFnType(tt(4), tt(4), tt(4), tt(4), tt(4))
	}
	return hm.NewFnType(tt(4), tt(4), tt(4), tt(4))
}
func (op *bnGradOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	f := op.fwd
	x, gamma, dy, dx := f32s(in[0]), f32s(in[1]), f32s(in[2]), op.data()
	c := f.c
	var y, dyAct []float32 // with a fused activation, dy is first taken through its slope
	if f.act {
		y = f32s(in[3])
		if op.dyAct == nil {
			op.dyAct = make([]float32, len(dy))
		}
		dyAct = op.dyAct
	}
	al := f.alpha
	train := f.mode != BNEval
	bf := op.produce(len(dx))
	clear(f.dgamma)
	clear(f.dbeta)
	for gi := 0; gi < f.groups; gi++ {
		r0, r1 := f.groupRows(gi)
		mean, invstd := f.mean[gi*c:(gi+1)*c], f.invstd[gi*c:(gi+1)*c]
		gs, gxs := f.gsum[gi*c:(gi+1)*c], f.gxsum[gi*c:(gi+1)*c]
		// Σ dy and Σ dy·x̂ per channel in one pass (two partial-sum halves per chunk)
		part := f.part2
		chunked(r1-r0, func(p, lo, hi int) {
			acc, accx := part[2*p*c:(2*p+1)*c], part[(2*p+1)*c:(2*p+2)*c]
			clear(acc)
			clear(accx)
			var ys, out []float32
			if y != nil {
				ys, out = y[(r0+lo)*c:(r0+hi)*c], dyAct[(r0+lo)*c:(r0+hi)*c]
			}
			kBNGradSums(x[(r0+lo)*c:(r0+hi)*c], dy[(r0+lo)*c:(r0+hi)*c], ys, out, c, hi-lo, mean, invstd, al, acc, accx)
		})
		for j := 0; j < c; j++ {
			var s, sx float64
			for p := 0; p < reduceChunks; p++ {
				s += float64(part[2*p*c+j])
				sx += float64(part[(2*p+1)*c+j])
			}
			gs[j], gxs[j] = float32(s), float32(sx)
			f.dgamma[j] += gxs[j]
			f.dbeta[j] += gs[j]
		}
		dyg := dy
		if y != nil {
			dyg = dyAct
		}
		invN := 1 / float32(r1-r0)
		k := make([]float32, c)
		for j := range k {
			k[j] = gamma[j] * invstd[j]
		}
		parallel(r1-r0, func(lo, hi int) {
			if train && bf != nil {
				kBNGradDx16(x[(r0+lo)*c:(r0+hi)*c], dyg[(r0+lo)*c:(r0+hi)*c], dx[(r0+lo)*c:(r0+hi)*c], c, hi-lo, k, mean, invstd, gs, gxs, invN, bf[(r0+lo)*c:(r0+hi)*c])
				return
			}
			if train {
				kBNGradDx(x[(r0+lo)*c:(r0+hi)*c], dyg[(r0+lo)*c:(r0+hi)*c], dx[(r0+lo)*c:(r0+hi)*c], c, hi-lo, k, mean, invstd, gs, gxs, invN)
				return
			}
			for r := r0 + lo; r < r0+hi; r++ {
				ds, out := dyg[r*c:(r+1)*c], dx[r*c:(r+1)*c]
				for j, d := range ds {
					out[j] = d * k[j]
				}
			}
		})
	}
	if bf != nil && train { // eval mode's loop above writes no copy: the convolution converts
		op.produced()
	}
	return op.value(), nil
}

// bnParamGradOp returns dgamma or dbeta; its input is the dx node, only to run after it.
type bnParamGradOp struct {
	base
	fwd   *bnOp
	shift bool
}

func (op *bnParamGradOp) Arity() int    { return 1 }
func (op *bnParamGradOp) Type() hm.Type { return hm.NewFnType(tt(4), tt(4)) }
func (op *bnParamGradOp) Do(...gorgonia.Value) (gorgonia.Value, error) {
	if op.shift {
		copy(op.data(), op.fwd.dbeta)
	} else {
		copy(op.data(), op.fwd.dgamma)
	}
	return op.value(), nil
}
