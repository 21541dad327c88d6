//go:build !dnnl || !cgo

package blas

import "math"

// HasBF16 reports whether bfloat16 products run at hardware speed: never without oneDNN.
func HasBF16() bool { return false }

// BF16Backend names the implementation of [GemmBF16] compiled into this binary.
func BF16Backend() string { return "reference (float32 on rounded inputs)" }

func gemmBF16(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	refGemmBF16(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// toBF16 rounds rows×cols floats (row stride ld) into dense bfloat16 bits.
func toBF16(s []float32, ld, rows, cols int, d []uint16) {
	for r := 0; r < rows; r++ {
		for j, v := range s[r*ld : r*ld+cols] {
			d[r*cols+j] = uint16(math.Float32bits(RoundBF16(v)) >> 16)
		}
	}
}

func gemmBF16B(transA bool, m, n, k int, a []float32, lda int, b *BF16Matrix, beta float32, c []float32, ldc int) {
	refGemmBF16B(transA, m, n, k, a, lda, b, beta, c, ldc)
}

// gemmA16 reports false without oneDNN: GemmBF16A and GemmBF16AB multiply the rounded values.
func gemmA16(transA, transB bool, m, n, k int, a []uint16, b []float32, ldb int, b16 []uint16, beta float32, c []float32, ldc int) bool {
	return false
}
