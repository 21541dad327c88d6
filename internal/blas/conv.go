package blas

// ConvShape is a strided 2-D convolution between a "big" NHWC map (B, H, W, C) and a "small"
// one (B, Ho, Wo, Cs) with a K×K kernel, stride S and padding P on both sides (the last row or
// column of the big map may go unused). Its weights are a (K·K·C, Cs) row-major matrix: row
// (ky·K+kx)·C+c, column o (oneDNN's hwio).
type ConvShape struct {
	B, H, W, C int
	Ho, Wo, Cs int
	K, S, P    int
}

// ConvPass names one of the three passes of a convolution.
type ConvPass uint8

const (
	// ConvForward computes small = conv(big, w).
	ConvForward ConvPass = iota
	// ConvBackwardData computes big = convᵀ(small, w): the transposed convolution, the adjoint
	// of ConvForward with the same weights.
	ConvBackwardData
	// ConvBackwardWeights computes w = Σ over the batch of the products of big's patches with
	// small: the gradient of ConvForward's weights when small is the output's gradient.
	ConvBackwardWeights
)

// ConvLanes is the fixed number of parts the batch is cut into (whatever GOMAXPROCS is): each
// part runs one single-threaded oneDNN primitive, and ConvBackwardWeights adds the parts'
// weight gradients in lane order, so results do not depend on the number of cores.
const ConvLanes = 2

// Parallel runs f over [0, n) split into ranges, possibly side by side.
type Parallel func(n int, f func(lo, hi int))

// BF16Copy is a bfloat16 copy of one convolution input (a whole batch), kept so that a later pass
// of the same layer does not convert the same input again: the forward pass's input is the
// weight gradient's too, and the output gradient feeds both backward passes. The caller decides
// when the copy stops matching its input (it clears Valid); [Conv] fills it and sets Valid.
type BF16Copy struct {
	Valid bool // the copy holds the input as it is now: Conv reads it instead of converting
	buf   []uint16
}

// ConvCopies names the copies a bf16 [Conv] pass may read or fill: Big for its big input (the
// forward and weight-gradient passes), Small for its small one (the backward passes). Either may
// be nil; fp32 passes ignore both.
type ConvCopies struct{ Big, Small *BF16Copy }

// grow makes the copy's buffer hold n values; a buffer that grows loses what it held.
func (c *BF16Copy) grow(n int) {
	if len(c.buf) < n {
		c.buf = make([]uint16, n)
		c.Valid = false
	}
}

// Buffer returns the copy's first n values to fill (bfloat16 bits, the input's layout); the
// caller sets Valid once they hold the input.
func (c *BF16Copy) Buffer(n int) []uint16 {
	c.grow(n)
	return c.buf[:n]
}

// Bits returns the copy's values (bfloat16 bits) to read; only meaningful while Valid.
func (c *BF16Copy) Bits() []uint16 { return c.buf }
