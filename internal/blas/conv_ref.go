//go:build !dnnl || !cgo

package blas

// ConvBackend names the convolution implementation compiled in: none without oneDNN.
func ConvBackend() string { return "" }

// ConvImpl returns "" without oneDNN: no pass has an implementation.
func ConvImpl(pass ConvPass, s ConvShape, bf16 bool) string { return "" }

// Conv reports false without oneDNN: the caller computes the pass itself.
func Conv(pass ConvPass, s ConvShape, bf16 bool, big, small, w []float32, cp ConvCopies, par Parallel) bool {
	return false
}

// ConvTPhases reports false without oneDNN: the caller computes the pass itself.
func ConvTPhases(s ConvShape, big, small, w []float32, par Parallel) bool { return false }
