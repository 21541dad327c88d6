package nn

import (
	"sync/atomic"

	"github.com/raysynth/raysynth/internal/blas"
	"gorgonia.org/gorgonia"
)

// runSeq numbers machine runs; curRun is the run in progress (0: none, or one that ended).
var runSeq, curRun atomic.Uint64

// shareBF16Copies can be turned off by tests, to compare with converting every input per pass;
// copyReads counts the passes that read a copy another pass made.
var (
	shareBF16Copies = true
	copyReads       atomic.Int64
)

// bf16Copy is a bfloat16 copy of one convolution input that the layer's passes share in bf16:
// the forward pass converts its input and the weight gradient reads the copy, and of the two
// passes that take the output gradient (input gradient and weight gradient), whichever runs
// first converts it for the other. Without the copies each input was converted once per pass
// that reads it: four conversions per layer and step instead of two.
//
// A copy is valid only within the machine run that made it: a pass uses it when it was filled
// in the run in progress, or when its owner (the operation whose input it is) is held by Reuse
// (held, the owner's input is what it was when the owner last ran, and the copy with it).
// Outside Machine.Run (an operation called on its own) nothing is shared.
type bf16Copy struct {
	blas.BF16Copy
	run   uint64 // the run that last made the copy valid or cleared it
	owner *base
}

// use returns the copy to hand to blas.Conv for the run in progress, cleared when it no longer
// matches its input; nil when c is nil or no machine is running.
func (c *bf16Copy) use() *blas.BF16Copy {
	if c == nil {
		return nil
	}
	run := curRun.Load()
	if run == 0 || !shareBF16Copies {
		return nil
	}
	if !c.Valid || (c.run != run && !c.owner.held) {
		c.Valid, c.run = false, run
	} else {
		copyReads.Add(1)
	}
	return &c.BF16Copy
}

// copySource is an operation whose kernels write a bfloat16 copy of their output as they compute
// it (BatchNorm, bias with activation, and their input gradients), block by block while the block
// is in the core's cache: a bf16 convolution that reads the output then converts nothing.
type copySource interface{ outCopy() *bf16Copy }

func (op *bnOp) outCopy() *bf16Copy          { return op.base.copyOf() }
func (op *bnGradOp) outCopy() *bf16Copy      { return op.base.copyOf() }
func (op *biasActOp) outCopy() *bf16Copy     { return op.base.copyOf() }
func (op *biasActGradOp) outCopy() *bf16Copy { return op.base.copyOf() }

func (b *base) copyOf() *bf16Copy {
	if b.out16 == nil {
		b.out16 = &bf16Copy{owner: b}
	}
	return b.out16
}

// produce returns where this run's kernels are to write the copy of the output (n values), or nil
// when nothing reads one or it cannot be written (fp32, no C kernels, outside Machine.Run); the
// copy is invalid until produced.
func (b *base) produce(n int) []uint16 {
	c := b.out16
	if c == nil {
		return nil
	}
	c.Valid = false
	run := curRun.Load()
	if !cKernels || b.prec != BF16 || run == 0 || !shareBF16Copies {
		return nil
	}
	c.run = run
	return c.Buffer(n)
}

// produced marks the copy that produce handed out as written.
func (b *base) produced() { b.out16.Valid = true }

// inputCopy returns the copy the bf16 products of an operation read of its input x: the one x's
// operation writes, when it is a copySource; otherwise a copy owned by own that the library's
// passes fill (nil when own is nil).
func inputCopy(x *gorgonia.Node, own *base) *bf16Copy {
	if src, ok := x.Op().(copySource); ok {
		return src.outCopy()
	}
	if own == nil {
		return nil
	}
	return &bf16Copy{owner: own}
}
