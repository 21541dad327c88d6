//go:build !dnnl || !cgo

package blas

// HasBF16 reports whether bfloat16 products run at hardware speed: never without oneDNN.
func HasBF16() bool { return false }

// BF16Backend names the implementation of [GemmBF16] compiled into this binary.
func BF16Backend() string { return "reference (float32 on rounded inputs)" }

func gemmBF16(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	refGemmBF16(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
