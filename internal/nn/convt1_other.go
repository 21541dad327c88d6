//go:build !dnnl || !cgo

package nn

// convT1 reports false without the dnnl build: the transposed convolution onto one channel goes
// through im2col and col2im.
func (g geom) convT1(p Precision, small, w, big []float32) bool { return false }
