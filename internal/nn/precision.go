package nn

import (
	"fmt"
	"runtime"

	"github.com/raysynth/raysynth/internal/blas"
)

// Precision is the arithmetic of a graph's matrix products (convolutions, transposed
// convolutions, dense layers and all their gradients). Whatever the precision, master weights,
// Adam state, BatchNorm statistics, activations and losses stay float32: only the inputs of the
// products are rounded.
type Precision uint8

const (
	// FP32 multiplies float32 by float32 (OpenBLAS or gonum), the default.
	FP32 Precision = iota
	// BF16 rounds both inputs of every product to bfloat16 (nearest even) and accumulates and
	// returns float32, as mixed-precision training does (oneDNN when built with the dnnl tag,
	// blas.HasBF16 says whether it runs at hardware speed).
	BF16
)

// String returns "fp32" or "bf16", the names the flags and records use.
func (p Precision) String() string {
	switch p {
	case FP32:
		return "fp32"
	case BF16:
		return "bf16"
	}
	return fmt.Sprintf("Precision(%d)", uint8(p))
}

// ParsePrecision reads "fp32" or "bf16".
func ParsePrecision(s string) (Precision, error) {
	switch s {
	case "fp32":
		return FP32, nil
	case "bf16":
		return BF16, nil
	}
	return FP32, fmt.Errorf("unknown precision %q (want fp32 or bf16)", s)
}

// Sgemm computes C = op(A)·op(B) + beta·C (row-major) in precision p on the calling goroutine:
// the call for a tile of work that is already one of several running in parallel.
func (p Precision) Sgemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if p == BF16 {
		blas.GemmBF16(transA, transB, m, n, k, 1, a, lda, b, ldb, beta, c, ldc)
		return
	}
	blas.Sgemm(transA, transB, m, n, k, 1, a, lda, b, ldb, beta, c, ldc)
}

// Gemm is [Precision.Sgemm] with the m rows of C split across GOMAXPROCS goroutines. Each
// element of C is computed by one call over the full k, so the split never changes results.
func (p Precision) Gemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	gemmRows(m, n, k, func(lo, hi int) {
		aOff := lo * lda
		if transA {
			aOff = lo
		}
		p.Sgemm(transA, transB, hi-lo, n, k, a[aOff:], lda, b, ldb, beta, c[lo*ldc:], ldc)
	})
}

// bf16Weights holds a layer's weights rounded to bfloat16 once per operation call, shared by the
// operation's tiles. conv and convT fill it while they hold the scratch lock (operations run one
// at a time), so one buffer serves them all.
var bf16Weights blas.BF16Matrix

// roundWeightsOnce can be turned off by tests to compare with rounding the weights per tile.
var roundWeightsOnce = true

// weights prepares op(B) = w (or wᵀ when trans, k×n) for products in p: in BF16 it is rounded
// once here instead of once per tile (half of the conversion work in the deep layers). It
// returns nil in FP32. Call it with the scratch lock held.
func (p Precision) weights(trans bool, k, n int, w []float32, ldw int) *blas.BF16Matrix {
	if p != BF16 || !roundWeightsOnce {
		return nil
	}
	bf16Weights.Set(trans, k, n, w, ldw)
	return &bf16Weights
}

// sgemmW is [Precision.Sgemm] with op(B) already prepared by [Precision.weights] (wb, or nil in
// FP32); the results are the same bits as Sgemm on b.
func (p Precision) sgemmW(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, wb *blas.BF16Matrix, beta float32, c []float32, ldc int) {
	if wb == nil {
		p.Sgemm(transA, transB, m, n, k, a, lda, b, ldb, beta, c, ldc)
		return
	}
	blas.GemmBF16B(transA, m, n, k, a, lda, wb, beta, c, ldc)
}

// precisioned is implemented by every engine operation (through base): Compile hands each
// operation of the graph the graph's precision.
type precisioned interface{ setPrecision(Precision) }

func (b *base) setPrecision(p Precision) { b.prec = p }

// gemmRows runs f over the blocks of rows [lo, hi) that [Precision.Gemm] splits an m×n×k product
// into (GOMAXPROCS blocks side by side, or one for a small product). Each row is computed by one
// call over the full k, so results do not depend on the split.
func gemmRows(m, n, k int, f func(lo, hi int)) {
	w := runtime.GOMAXPROCS(0)
	if m < 2*w || int64(m)*int64(n)*int64(k) < 1<<18 {
		w = 1
	}
	parallel(w, func(p0, p1 int) {
		for i := p0; i < p1; i++ {
			if lo, hi := m*i/w, m*(i+1)/w; lo < hi {
				f(lo, hi)
			}
		}
	})
}
