package blas

import (
	"math"
	"math/rand/v2"
	"testing"
)

// gemmCase is one matrix product to check: C = alpha·op(A)·op(B) + beta·C, A m×k, B k×n.
type gemmCase struct {
	name        string
	ta, tb      bool
	m, n, k     int
	alpha, beta float32
}

// operands draws A and B in [-1,1) and C in [0,1) from r, with A's and B's leading dimensions.
func (tc gemmCase) operands(r *rand.Rand) (a, b, c []float32, lda, ldb int) {
	lda, ldb = tc.k, tc.n
	if tc.ta {
		lda = tc.m
	}
	if tc.tb {
		ldb = tc.k
	}
	a = make([]float32, tc.m*tc.k)
	b = make([]float32, tc.k*tc.n)
	c = make([]float32, tc.m*tc.n)
	for i := range a {
		a[i] = r.Float32()*2 - 1
	}
	for i := range b {
		b[i] = r.Float32()*2 - 1
	}
	for i := range c {
		c[i] = r.Float32()
	}
	return a, b, c, lda, ldb
}

func naive(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
			}
			c[i*ldc+j] = alpha*float32(s) + beta*c[i*ldc+j]
		}
	}
}

func TestSgemmMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []gemmCase{
		{"NN", false, false, 7, 5, 3, 1, 0},
		{"TN", true, false, 6, 9, 4, 0.5, 1},
		{"NT", false, true, 3, 8, 11, 2, -1},
		{"TT", true, true, 10, 10, 10, 1, 0.25},
		{"large", false, true, 65, 130, 257, 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b, c, lda, ldb := tc.operands(r)
			want := append([]float32(nil), c...)
			naive(tc.ta, tc.tb, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, want, tc.n)
			Sgemm(tc.ta, tc.tb, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, c, tc.n)
			for i := range c {
				if math.Abs(float64(c[i]-want[i])) > 1e-4*float64(tc.k) {
					t.Fatalf("%s: c[%d] = %v, want %v (backend %s)", tc.name, i, c[i], want[i], Backend())
				}
			}
		})
	}
}

func TestSgemmPanicsOnShortSlices(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic on a too-short A")
		}
	}()
	Sgemm(false, false, 4, 4, 4, 1, make([]float32, 15), 4, make([]float32, 16), 4, 0, make([]float32, 16), 4)
}

func BenchmarkSgemm512(b *testing.B) { benchGemm512(b, Sgemm) }

// benchGemm512 times gemm on 512×512 matrices; the reported MB/s is MFLOP/s.
func benchGemm512(b *testing.B, gemm func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)) {
	const n = 512
	x := make([]float32, n*n)
	for i := range x {
		x[i] = float32(i%7) * 0.1
	}
	c := make([]float32, n*n)
	b.SetBytes(2 * n * n * n)
	for b.Loop() {
		gemm(false, false, n, n, n, 1, x, n, x, n, 0, c, n)
	}
}
