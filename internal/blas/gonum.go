//go:build !openblas || !cgo

package blas

import (
	gblas "gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// Backend names the BLAS compiled into this binary.
func Backend() string { return "gonum (pure Go)" }

// SetThreads is a no-op for the pure-Go BLAS, which uses its own goroutines.
func SetThreads(int) {}

// CoreType returns "" for the pure-Go BLAS.
func CoreType() string { return "" }

var impl gonum.Implementation

func sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	ta, tb := gblas.NoTrans, gblas.NoTrans
	if transA {
		ta = gblas.Trans
	}
	if transB {
		tb = gblas.Trans
	}
	impl.Sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
