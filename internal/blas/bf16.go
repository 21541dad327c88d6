package blas

import "math"

// RoundBF16 rounds x to the nearest bfloat16 (ties to even) and returns it as a float32 whose
// low 16 bits are zero. NaN stays NaN; values beyond the largest bfloat16 become ±Inf; float32
// denormals (below 1.2e-38) become zero of the same sign, as the AVX512_BF16 conversion does.
func RoundBF16(x float32) float32 {
	u := math.Float32bits(x)
	switch u & 0x7f800000 {
	case 0x7f800000: // Inf or NaN: keep (quiet the NaN so it stays one)
		if u&0x007fffff != 0 {
			u |= 0x00400000
		}
		return math.Float32frombits(u &^ 0xffff)
	case 0:
		return math.Float32frombits(u & 0x80000000)
	}
	u += 0x7fff + (u>>16)&1
	return math.Float32frombits(u &^ 0xffff)
}

// GemmBF16 computes C = alpha·op(A)·op(B) + beta·C like [Sgemm], but with both inputs rounded
// to bfloat16 (nearest even) and the products accumulated and returned in float32: the
// arithmetic of mixed-precision training. Built with the dnnl tag it runs oneDNN's bf16 matmul
// (at twice the float32 rate where [HasBF16]); otherwise a reference that rounds the inputs and
// multiplies them with [Sgemm], which gives the same numbers at float32 speed.
func GemmBF16(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	checkDims(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	gemmBF16(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// refGemmBF16 rounds copies of op(A) and op(B) to bfloat16 and multiplies them in float32.
func refGemmBF16(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	ra := roundedCopy(transA, m, k, a, lda)
	rb := roundedCopy(transB, k, n, b, ldb)
	Sgemm(false, false, m, n, k, alpha, ra, max(k, 1), rb, n, beta, c, ldc)
}

// roundedCopy returns op(X) (r×c) as a dense row-major bfloat16-rounded copy.
func roundedCopy(trans bool, r, c int, x []float32, ld int) []float32 {
	out := make([]float32, r*c)
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			at := i*ld + j
			if trans {
				at = j*ld + i
			}
			out[i*c+j] = RoundBF16(x[at])
		}
	}
	return out
}
