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
