//go:build !(openblas && cgo)

package nn

// Without the openblas tag (the pure-Go build) the kernels are the Go loops of kern.go.

const cKernels = false

var (
	kSums        = goSums
	kSqDev       = goSqDev
	kAffine      = goAffine
	kBiasLeaky   = goBiasLeaky
	kBiasActGrad = goBiasActGrad
	kBNGradSums  = goBNGradSums
	kBNGradDx    = goBNGradDx
	kCol2im      = geom.goCol2im
	kIm2col      = geom.goIm2col
	kAdam        = goAdam
	kMovingAvg   = goMovingAverage
	kBiasTanh    = goBiasTanh
)

// Without C kernels no operation writes bfloat16 copies of its output (bf16Copy.produce returns
// nil), so these are never called.

func kAffine16(x, y []float32, c, rows int, a, b []float32, act bool, al float32, bf []uint16) {
	panic("nn: no C kernels")
}
func kBiasLeaky16(x, y []float32, c, rows int, b []float32, a float32, bf []uint16) {
	panic("nn: no C kernels")
}
func kBiasTanh16(x, y []float32, c, rows int, b []float32, bf []uint16) { panic("nn: no C kernels") }
func kBiasActGrad16(y, dy, dx []float32, c, rows int, acc []float32, a float32, tanh bool, bf []uint16) {
	panic("nn: no C kernels")
}
func kBNGradDx16(x, dy, dx []float32, c, rows int, k, mean, invstd, gs, gxs []float32, invN float32, bf []uint16) {
	panic("nn: no C kernels")
}
func kIm2col16(g geom, big []float32, cols []uint16, r0, r1 int) { panic("nn: no C kernels") }
func kIm2colH(g geom, big, cols []uint16, r0, r1 int)            { panic("nn: no C kernels") }
