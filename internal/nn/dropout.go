package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
)

// DropoutSeed chooses a dropout layer's mask: the caller sets Seed before each run (for example
// from the training seed, epoch and batch), so masks are reproducible and a resumed run draws the
// same masks as an uninterrupted one. The same Seed gives the same mask.
type DropoutSeed struct {
	Seed uint64
}

// Dropout zeroes each element of x with probability p and scales the others by 1/(1-p) (inverted
// dropout), with the mask drawn from seed. It is a training-time layer: an evaluation graph simply
// leaves it out.
func Dropout(x *Node, p float64, seed *DropoutSeed) (*Node, error) {
	if !(p >= 0 && p < 1) {
		return nil, fmt.Errorf("nn: dropout probability %g outside [0, 1)", p)
	}
	if seed == nil {
		return nil, fmt.Errorf("nn: dropout needs a seed holder")
	}
	s := x.Shape()
	op := &dropoutOp{base: newBase("dropout", s...), p: p, seed: seed, dims: len(s), mask: make([]float32, s.TotalSize())}
	return apply(op, x)
}

type dropoutOp struct {
	base
	p    float64
	seed *DropoutSeed
	dims int
	mask []float32 // 0 or 1/(1-p), drawn by the last forward run
}

func (op *dropoutOp) Arity() int         { return 1 }
func (op *dropoutOp) Type() hm.Type      { return hm.NewFnType(tt(op.dims), tt(op.dims)) }
func (op *dropoutOp) DiffWRT(int) []bool { return []bool{true} }
func (op *dropoutOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	x, y := f32s(in[0]), op.data()
	rng := rand.New(rand.NewPCG(op.seed.Seed, 0xd50f))
	keep := float32(1 / (1 - op.p))
	for i := range op.mask {
		if rng.Float64() < op.p {
			op.mask[i] = 0
		} else {
			op.mask[i] = keep
		}
	}
	for i, v := range x {
		y[i] = v * op.mask[i]
	}
	return op.value(), nil
}
func (op *dropoutOp) SymDiff(_ gorgonia.Nodes, out, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	g := &dropoutGradOp{base: newBase("dropoutGrad", op.shape...), fwd: op}
	dx, err := apply(g, out, grad)
	if err != nil {
		return nil, err
	}
	return gorgonia.Nodes{dx}, nil
}

// dropoutGradOp multiplies dy by the forward pass's mask; its first input (the forward output)
// only orders it after the forward pass.
type dropoutGradOp struct {
	base
	fwd *dropoutOp
}

func (op *dropoutGradOp) Arity() int { return 2 }
func (op *dropoutGradOp) Type() hm.Type {
	d := op.fwd.dims
	return hm.NewFnType(tt(d), tt(d), tt(d))
}
func (op *dropoutGradOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	dy, dx := f32s(in[1]), op.data()
	for i, v := range dy {
		dx[i] = v * op.fwd.mask[i]
	}
	return op.value(), nil
}
