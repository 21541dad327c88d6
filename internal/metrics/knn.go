package metrics

import (
	"fmt"
	"math"
	"slices"

	"github.com/raysynth/raysynth/internal/blas"
)

// DefaultK is the neighbour count of Kynkäänniemi et al. 2019.
const DefaultK = 3

// PrecisionRecallResult is the k-NN precision and recall of a generated set against a real one.
type PrecisionRecallResult struct {
	// Precision is the share of generated vectors inside the real manifold: within the k-NN radius
	// of at least one real vector (fidelity).
	Precision float64 `json:"precision"`
	// Recall is the share of real vectors inside the generated manifold (diversity).
	Recall float64 `json:"recall"`
	K      int     `json:"k"`
	NReal  int     `json:"n_real"`
	NFake  int     `json:"n_fake"`
}

// PrecisionRecall returns the improved precision and recall of Kynkäänniemi et al. 2019: each
// set's manifold is the union of balls around its vectors with radius the distance to the vector's
// k-th nearest other vector of the same set (k ≤ 0 means DefaultK). Distances are exact: a
// single-precision GEMM screens pairs, and every pair near a decision is recomputed in float64.
func PrecisionRecall(real, fake [][]float32, k int) (PrecisionRecallResult, error) {
	if k <= 0 {
		k = DefaultK
	}
	dr, err := checkVectors(real)
	if err != nil {
		return PrecisionRecallResult{}, fmt.Errorf("real set: %w", err)
	}
	df, err := checkVectors(fake)
	if err != nil {
		return PrecisionRecallResult{}, fmt.Errorf("generated set: %w", err)
	}
	if dr != df {
		return PrecisionRecallResult{}, fmt.Errorf("real vectors have length %d, generated %d", dr, df)
	}
	if len(real) <= k || len(fake) <= k {
		return PrecisionRecallResult{}, fmt.Errorf("need more than k = %d vectors in each set (real %d, generated %d)", k, len(real), len(fake))
	}
	r, f := newVecs(real), newVecs(fake)
	rr, fr := kthRadii(r, k), kthRadii(f, k)
	return PrecisionRecallResult{
		Precision: covered(f, r, rr),
		Recall:    covered(r, f, fr),
		K:         k, NReal: r.n, NFake: f.n,
	}, nil
}

type vecs struct {
	data  []float32 // n×d row-major
	n, d  int
	norms []float64 // squared norms
}

func newVecs(v [][]float32) vecs {
	d := len(v[0])
	x := vecs{data: make([]float32, 0, len(v)*d), n: len(v), d: d, norms: make([]float64, len(v))}
	for i, row := range v {
		x.data = append(x.data, row...)
		var s float64
		for _, e := range row {
			s += float64(e) * float64(e)
		}
		x.norms[i] = s
	}
	return x
}

func (x vecs) row(i int) []float32 { return x.data[i*x.d : (i+1)*x.d] }

// exactSq returns the squared distance between a's row i and b's row j in float64.
func exactSq(a vecs, i int, b vecs, j int) float64 {
	var s float64
	for p, u := range a.row(i) {
		t := float64(u) - float64(b.row(j)[p])
		s += t * t
	}
	return s
}

// slack bounds the error of a single-precision squared distance between a's row i and b's row j:
// the GEMM's rounding error is at most about d·2⁻²⁴·‖a‖‖b‖ in the worst case and √d times less
// in practice, so 1e-4·(‖a‖² + ‖b‖²) covers embeddings of up to ~1,600 dimensions even then.
func slack(a vecs, i int, b vecs, j int) float64 {
	return 1e-4*(a.norms[i]+b.norms[j]) + 1e-30
}

const blockRows = 256

// forRows calls fn with approximate squared distances from each row of a to every row of b.
func forRows(a, b vecs, fn func(i int, approx []float64)) {
	g := make([]float32, blockRows*b.n)
	approx := make([]float64, b.n)
	for start := 0; start < a.n; start += blockRows {
		rows := min(blockRows, a.n-start)
		blas.Sgemm(false, true, rows, b.n, a.d, 1, a.data[start*a.d:(start+rows)*a.d], a.d, b.data, b.d, 0, g, b.n)
		for r := 0; r < rows; r++ {
			i := start + r
			for j := 0; j < b.n; j++ {
				approx[j] = math.Max(a.norms[i]+b.norms[j]-2*float64(g[r*b.n+j]), 0)
			}
			fn(i, approx)
		}
	}
}

// kthRadii returns, for each row, the squared distance to its k-th nearest other row.
func kthRadii(x vecs, k int) []float64 {
	radii := make([]float64, x.n)
	best := make([]int, 0, k) // indices of the k smallest approximate distances, ascending
	var exact []float64
	forRows(x, x, func(i int, approx []float64) {
		best = best[:0]
		for j := 0; j < x.n; j++ {
			if j == i || (len(best) == k && approx[j] >= approx[best[k-1]]) {
				continue
			}
			if len(best) < k {
				best = append(best, j)
			} else {
				best[k-1] = j
			}
			for p := len(best) - 1; p > 0 && approx[best[p]] < approx[best[p-1]]; p-- {
				best[p], best[p-1] = best[p-1], best[p]
			}
		}
		// Every row whose approximate distance might put it among the k nearest: recompute exactly.
		// The true k-th distance is at most the largest exact distance among the k candidates.
		bound := 0.0
		for _, b := range best {
			bound = math.Max(bound, approx[b]+slack(x, i, x, b))
		}
		exact = exact[:0]
		for j := 0; j < x.n; j++ {
			if j != i && approx[j] <= bound+slack(x, i, x, j) {
				exact = append(exact, exactSq(x, i, x, j))
			}
		}
		slices.Sort(exact)
		radii[i] = exact[k-1]
	})
	return radii
}

// covered returns the share of rows of a within the radius of at least one row of b.
func covered(a, b vecs, radii []float64) float64 {
	in := 0
	forRows(a, b, func(i int, approx []float64) {
		for j, d := range approx {
			s := slack(a, i, b, j)
			if d <= radii[j]-s || (d <= radii[j]+s && exactSq(a, i, b, j) <= radii[j]) {
				in++
				return
			}
		}
	})
	return float64(in) / float64(a.n)
}
