package metrics

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Gaussian is the mean and covariance of a set of vectors.
type Gaussian struct {
	Mean []float64 `json:"mean"`
	Cov  []float64 `json:"cov"` // d×d, row-major, symmetric; sample covariance (n − 1)
	N    int       `json:"n"`   // vectors it was fitted to
}

// Fit returns the mean and sample covariance of vectors (at least 2, all of one length).
func Fit(vectors [][]float32) (Gaussian, error) {
	n := len(vectors)
	if n < 2 {
		return Gaussian{}, fmt.Errorf("%d vectors; need at least 2 for a covariance", n)
	}
	d, err := checkVectors(vectors)
	if err != nil {
		return Gaussian{}, err
	}
	mean := make([]float64, d)
	for _, v := range vectors {
		for j, x := range v {
			mean[j] += float64(x)
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	x := mat.NewDense(n, d, nil)
	for i, v := range vectors {
		for j, e := range v {
			x.Set(i, j, float64(e)-mean[j])
		}
	}
	var cov mat.SymDense
	cov.SymOuterK(1/float64(n-1), x.T()) // Xᵀ·X/(n−1), d×d
	g := Gaussian{Mean: mean, Cov: make([]float64, d*d), N: n}
	for i := 0; i < d; i++ {
		for j := 0; j < d; j++ {
			g.Cov[i*d+j] = cov.At(i, j)
		}
	}
	return g, nil
}

func checkVectors(vectors [][]float32) (int, error) {
	if len(vectors) == 0 {
		return 0, errors.New("no vectors")
	}
	d := len(vectors[0])
	if d == 0 {
		return 0, errors.New("vectors of length 0")
	}
	for i, v := range vectors {
		if len(v) != d {
			return 0, fmt.Errorf("vector %d has length %d, vector 0 has %d", i, len(v), d)
		}
		for _, x := range v {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return 0, fmt.Errorf("vector %d holds %v", i, x)
			}
		}
	}
	return d, nil
}

// FrechetDistance returns the Fréchet distance between Gaussians fitted to a and b (each at least
// 2 vectors of one length). On Inception features this is the FID; on other embeddings it is
// not, and reports must name the embedding.
func FrechetDistance(a, b [][]float32) (float64, error) {
	ga, err := Fit(a)
	if err != nil {
		return 0, fmt.Errorf("first set: %w", err)
	}
	gb, err := Fit(b)
	if err != nil {
		return 0, fmt.Errorf("second set: %w", err)
	}
	return FrechetGaussians(ga, gb)
}

// FrechetGaussians returns ‖μa−μb‖² + Tr(Sa + Sb − 2(Sa^{1/2} Sb Sa^{1/2})^{1/2}), the squared
// 2-Wasserstein distance between N(μa, Sa) and N(μb, Sb). Both square roots come from
// eigendecompositions of PSD matrices computed by SVD (see psdEigen), checked against the trace.
func FrechetGaussians(a, b Gaussian) (float64, error) {
	d := len(a.Mean)
	if d == 0 || len(b.Mean) != d || len(a.Cov) != d*d || len(b.Cov) != d*d {
		return 0, fmt.Errorf("gaussians of mismatched dimensions: mean %d and %d, covariance %d and %d values",
			len(a.Mean), len(b.Mean), len(a.Cov), len(b.Cov))
	}
	var dist float64
	for j := range a.Mean {
		dm := a.Mean[j] - b.Mean[j]
		dist += dm * dm
	}
	sa, sb := symmetric(d, a.Cov), symmetric(d, b.Cov)
	for i := 0; i < d; i++ {
		dist += sa.At(i, i) + sb.At(i, i)
	}
	root, err := sqrtSym(sa)
	if err != nil {
		return 0, err
	}
	var m mat.Dense
	m.Mul(root, sb)
	m.Mul(&m, root)
	vals, err := eigenvalues(symmetrize(&m))
	if err != nil {
		return 0, err
	}
	var trRoot float64
	for _, v := range vals {
		trRoot += math.Sqrt(math.Max(v, 0))
	}
	return math.Max(dist-2*trRoot, 0), nil
}

func symmetric(d int, data []float64) *mat.SymDense {
	s := mat.NewSymDense(d, nil)
	for i := 0; i < d; i++ {
		for j := i; j < d; j++ {
			s.SetSym(i, j, (data[i*d+j]+data[j*d+i])/2)
		}
	}
	return s
}

func symmetrize(m *mat.Dense) *mat.SymDense {
	d, _ := m.Dims()
	s := mat.NewSymDense(d, nil)
	for i := 0; i < d; i++ {
		for j := i; j < d; j++ {
			s.SetSym(i, j, (m.At(i, j)+m.At(j, i))/2)
		}
	}
	return s
}

// psdEigen returns the eigenvalues and eigenvectors (as columns) of a symmetric positive
// semi-definite matrix. It uses the SVD, which equals the eigendecomposition for such matrices:
// gonum's symmetric eigensolver (EigenSym, LAPACK Dsyev) returned eigenvalues around 1e120, or
// panicked in Dsterf, on covariance matrices with many all-zero rows (dead ReLU dimensions of a
// mode-collapsed synthetic set). Eigenvalues that rounding made slightly negative come out as
// small positive singular values, whose square roots are negligible.
func psdEigen(s *mat.SymDense, vectors bool) ([]float64, *mat.Dense, error) {
	kind := mat.SVDNone
	if vectors {
		kind = mat.SVDThinU
	}
	var svd mat.SVD
	if !svd.Factorize(s, kind) {
		return nil, nil, errors.New("eigendecomposition (SVD) did not converge")
	}
	vals := svd.Values(nil)
	var tr, sum float64
	for i := range vals {
		tr += s.At(i, i)
		sum += vals[i]
	}
	// For a PSD matrix the eigenvalues sum to the trace; a large gap means the matrix was not
	// PSD or the factorization failed, and any distance computed from it would be wrong.
	if math.IsNaN(sum) || math.IsInf(sum, 0) || math.Abs(sum-tr) > 1e-6*math.Max(1, math.Abs(tr))+1e-9*sum {
		return nil, nil, fmt.Errorf("eigendecomposition is inconsistent (eigenvalues sum %g, trace %g)", sum, tr)
	}
	if !vectors {
		return vals, nil, nil
	}
	var u mat.Dense
	svd.UTo(&u)
	return vals, &u, nil
}

func eigenvalues(s *mat.SymDense) ([]float64, error) {
	vals, _, err := psdEigen(s, false)
	return vals, err
}

// sqrtSym returns the symmetric square root of a PSD matrix.
func sqrtSym(s *mat.SymDense) (*mat.Dense, error) {
	vals, v, err := psdEigen(s, true)
	if err != nil {
		return nil, err
	}
	d := len(vals)
	scaled := mat.NewDense(d, d, nil)
	for i := 0; i < d; i++ {
		for j := 0; j < d; j++ {
			scaled.Set(i, j, v.At(i, j)*math.Sqrt(math.Max(vals[j], 0)))
		}
	}
	var r mat.Dense
	r.Mul(scaled, v.T())
	return &r, nil
}
