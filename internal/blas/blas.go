package blas

import "fmt"

// Sgemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices, where op(A) is m×k,
// op(B) is k×n and C is m×n; lda, ldb and ldc are the row strides of A, B and C as stored.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	checkDims(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func checkDims(transA, transB bool, m, n, k, la, lda, lb, ldb, lc, ldc int) {
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	switch {
	case lda < max(ac, 1) || (ar > 0 && la < (ar-1)*lda+ac):
		panic(fmt.Sprintf("blas: A too short or bad stride: len %d, %d×%d, lda %d", la, ar, ac, lda))
	case ldb < max(bc, 1) || (br > 0 && lb < (br-1)*ldb+bc):
		panic(fmt.Sprintf("blas: B too short or bad stride: len %d, %d×%d, ldb %d", lb, br, bc, ldb))
	case ldc < max(n, 1) || lc < (m-1)*ldc+n:
		panic(fmt.Sprintf("blas: C too short or bad stride: len %d, %d×%d, ldc %d", lc, m, n, ldc))
	}
}
