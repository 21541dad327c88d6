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
