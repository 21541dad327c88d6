package nn

import (
	"sync/atomic"

	"github.com/raysynth/raysynth/internal/blas"
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
