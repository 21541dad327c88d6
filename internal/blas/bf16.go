package blas

import (
	"fmt"
	"math"
)

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

// BF16Matrix is the right-hand matrix of several products rounded to bfloat16 once: a layer's
// weights, multiplied tile by tile. Set fills it; GemmBF16B multiplies by it.
type BF16Matrix struct {
	Trans bool // stored as B is, N×K: the products use its transpose
	K, N  int
	h     []uint16 // bfloat16 bits, dense (K×N, or N×K when Trans)
}

// Set rounds op(B) (K×N; B is stored N×K with row stride ldb when trans) into m, reusing m's memory.
func (m *BF16Matrix) Set(trans bool, k, n int, b []float32, ldb int) {
	rows, cols := k, n
	if trans {
		rows, cols = n, k
	}
	if ldb < max(cols, 1) || (rows > 0 && len(b) < (rows-1)*ldb+cols) {
		panic(fmt.Sprintf("blas: B too short or bad stride: len %d, %d×%d, ldb %d", len(b), rows, cols, ldb))
	}
	m.Trans, m.K, m.N = trans, k, n
	if cap(m.h) < k*n {
		m.h = make([]uint16, k*n)
	}
	m.h = m.h[:k*n]
	if k*n > 0 {
		toBF16(b, ldb, rows, cols, m.h)
	}
}

// GemmBF16B is [GemmBF16] with alpha 1 and op(B) already rounded: C = op(A)·op(B) + beta·C, with
// the same results as GemmBF16 on the float32 B that b was set from.
func GemmBF16B(transA bool, m, n, k int, a []float32, lda int, b *BF16Matrix, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if b.K != k || b.N != n {
		panic(fmt.Sprintf("blas: bf16 B is %d×%d, product wants %d×%d", b.K, b.N, k, n))
	}
	checkDims(transA, false, m, n, k, len(a), lda, n*k, n, len(c), ldc)
	gemmBF16B(transA, m, n, k, a, lda, b, beta, c, ldc)
}

// roundedFloats returns op(B) as dense row-major K×N float32 values (the reference products).
func (m *BF16Matrix) roundedFloats() []float32 {
	f := make([]float32, len(m.h))
	for i := 0; i < m.K; i++ {
		for j := 0; j < m.N; j++ {
			at := i*m.N + j
			if m.Trans {
				at = j*m.K + i
			}
			f[i*m.N+j] = math.Float32frombits(uint32(m.h[at]) << 16)
		}
	}
	return f
}

// refGemmBF16B multiplies exactly as refGemmBF16 does, so both give the same bits.
func refGemmBF16B(transA bool, m, n, k int, a []float32, lda int, b *BF16Matrix, beta float32, c []float32, ldc int) {
	ra := roundedCopy(transA, m, k, a, lda)
	Sgemm(false, false, m, n, k, 1, ra, max(k, 1), b.roundedFloats(), n, beta, c, ldc)
}

// GemmBF16AB is [GemmBF16B] with op(A) already in bfloat16: a holds its bits densely, m×k, or
// k×m stored as is when transA (op(A) is then its transpose). Values rounded from float32 give
// the same results as GemmBF16B on those float32 values.
func GemmBF16AB(transA bool, m, n, k int, a []uint16, b *BF16Matrix, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if b.K != k || b.N != n {
		panic(fmt.Sprintf("blas: bf16 B is %d×%d, product wants %d×%d", b.K, b.N, k, n))
	}
	checkDims(transA, false, m, n, k, m*k, denseLd(transA, m, k), n*k, n, len(c), ldc)
	_ = a[m*k-1]
	if !gemmA16(transA, b.Trans, m, n, k, a, nil, 0, b.h, beta, c, ldc) {
		refGemmBF16B(transA, m, n, k, fromBF16(a[:m*k]), denseLd(transA, m, k), b, beta, c, ldc)
	}
}

// GemmBF16A is [GemmBF16] with alpha 1 and op(A) already in bfloat16, stored as for
// [GemmBF16AB]; op(B) is float32 and is rounded here.
func GemmBF16A(transA, transB bool, m, n, k int, a []uint16, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	checkDims(transA, transB, m, n, k, m*k, denseLd(transA, m, k), len(b), ldb, len(c), ldc)
	_ = a[m*k-1]
	if !gemmA16(transA, transB, m, n, k, a, b, ldb, nil, beta, c, ldc) {
		refGemmBF16(transA, transB, m, n, k, 1, fromBF16(a[:m*k]), denseLd(transA, m, k), b, ldb, beta, c, ldc)
	}
}

// denseLd is the row stride of a dense m×k matrix, or of its k×m transpose as stored.
func denseLd(trans bool, m, k int) int {
	if trans {
		return max(m, 1)
	}
	return max(k, 1)
}

// fromBF16 widens bfloat16 bits to float32.
func fromBF16(h []uint16) []float32 {
	f := make([]float32, len(h))
	for i, v := range h {
		f[i] = math.Float32frombits(uint32(v) << 16)
	}
	return f
}

// GemmBF16AB16 is [GemmBF16AB] with op(B) also as dense bfloat16 bits: k×n, or n×k stored as is
// when transB.
func GemmBF16AB16(transA, transB bool, m, n, k int, a, b []uint16, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	checkDims(transA, transB, m, n, k, m*k, denseLd(transA, m, k), n*k, denseLd(transB, k, n), len(c), ldc)
	_, _ = a[m*k-1], b[n*k-1]
	if !gemmA16(transA, transB, m, n, k, a, nil, 0, b, beta, c, ldc) {
		refGemmBF16(transA, transB, m, n, k, 1, fromBF16(a[:m*k]), denseLd(transA, m, k), fromBF16(b[:n*k]), denseLd(transB, k, n), beta, c, ldc)
	}
}
