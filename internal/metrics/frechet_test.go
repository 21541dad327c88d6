package metrics

import (
	"math"
	"math/rand/v2"
	"testing"
)

func closeTo(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}

// axisSet returns the 2d points μ ± s_j·e_j: mean μ, sample covariance diag(2 s_j²/(2d − 1)).
func axisSet(mu, s []float64) [][]float32 {
	var out [][]float32
	for j := range mu {
		for _, sign := range []float64{1, -1} {
			v := make([]float32, len(mu))
			for p := range mu {
				v[p] = float32(mu[p])
			}
			v[j] += float32(sign * s[j])
			out = append(out, v)
		}
	}
	return out
}

func TestFrechetDiagonal(t *testing.T) {
	mu1, s1 := []float64{0, 1, 2}, []float64{1, 2, 0.5}
	mu2, s2 := []float64{1, 1, 0}, []float64{3, 1, 0.5}
	// Diagonal covariances: FD = ‖μ1−μ2‖² + Σ (√v1 − √v2)², v = 2s²/5.
	want := 1.0 + 0 + 4
	for j := range s1 {
		d := math.Sqrt(2*s1[j]*s1[j]/5) - math.Sqrt(2*s2[j]*s2[j]/5)
		want += d * d
	}
	got, err := FrechetDistance(axisSet(mu1, s1), axisSet(mu2, s2))
	if err != nil {
		t.Fatal(err)
	}
	if !closeTo(got, want, 1e-9) {
		t.Errorf("got %.12g, want %.12g", got, want)
	}
	g, _ := Fit(axisSet(mu1, s1))
	if !closeTo(g.Cov[0], 2.0/5, 1e-12) || !closeTo(g.Cov[4], 8.0/5, 1e-12) || g.Cov[1] != 0 || g.Mean[2] != 2 || g.N != 6 {
		t.Errorf("fit %+v", g)
	}
}

func TestFrechetNonDiagonal(t *testing.T) {
	sq := math.Sqrt
	for _, tc := range []struct {
		name   string
		a, b   Gaussian
		want   float64
		reason string
	}{
		{
			"identity vs correlated", Gaussian{Mean: []float64{0, 0}, Cov: []float64{1, 0, 0, 1}},
			Gaussian{Mean: []float64{0, 0}, Cov: []float64{2, 1, 1, 2}},
			(1-sq(3))*(1-sq(3)) + 0, "eigenvalues of S2 are 3 and 1: Σ(1 − √λ)²",
		},
		{
			"non-commuting", Gaussian{Mean: []float64{0, 0}, Cov: []float64{4, 0, 0, 1}},
			Gaussian{Mean: []float64{1, 2}, Cov: []float64{2, 1, 1, 2}},
			5 + 5 + 4 - 2*sq(10+2*sq(12)),
			"for 2×2 PSD M, Tr √M = √(tr M + 2√det M); tr(S1 S2) = 10, det = 4·3 = 12",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FrechetGaussians(tc.a, tc.b)
			if err != nil {
				t.Fatal(err)
			}
			if !closeTo(got, tc.want, 1e-12) {
				t.Errorf("got %.15g, want %.15g (%s)", got, tc.want, tc.reason)
			}
			back, _ := FrechetGaussians(tc.b, tc.a)
			if !closeTo(back, got, 1e-12) {
				t.Errorf("not symmetric: %g vs %g", got, back)
			}
		})
	}
}

// Commuting covariances in a rotated basis: S1 = Q diag(a) Qᵀ, S2 = Q diag(b) Qᵀ give
// Tr(S1 + S2 − 2(S1^{1/2} S2 S1^{1/2})^{1/2}) = Σ (√a − √b)².
func TestFrechetRotatedCommuting(t *testing.T) {
	const d = 4
	q := identity(d)
	for _, rot := range []struct {
		i, j int
		th   float64
	}{{0, 1, 0.3}, {1, 2, 1.1}, {2, 3, -0.7}, {0, 3, 0.5}} {
		c, s := math.Cos(rot.th), math.Sin(rot.th)
		for r := 0; r < d; r++ {
			x, y := q[r*d+rot.i], q[r*d+rot.j]
			q[r*d+rot.i], q[r*d+rot.j] = c*x-s*y, s*x+c*y
		}
	}
	ea, eb := []float64{4, 1, 0.25, 2}, []float64{1, 1, 1, 0.5}
	want := 0.0
	for i := range ea {
		want += (math.Sqrt(ea[i]) - math.Sqrt(eb[i])) * (math.Sqrt(ea[i]) - math.Sqrt(eb[i]))
	}
	a := Gaussian{Mean: make([]float64, d), Cov: qdq(q, ea)}
	b := Gaussian{Mean: make([]float64, d), Cov: qdq(q, eb)}
	got, err := FrechetGaussians(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if !closeTo(got, want, 1e-10) {
		t.Errorf("got %.12g, want %.12g", got, want)
	}
}

func identity(d int) []float64 {
	m := make([]float64, d*d)
	for i := 0; i < d; i++ {
		m[i*d+i] = 1
	}
	return m
}

func qdq(q, e []float64) []float64 {
	d := len(e)
	out := make([]float64, d*d)
	for i := 0; i < d; i++ {
		for j := 0; j < d; j++ {
			for k := 0; k < d; k++ {
				out[i*d+j] += q[i*d+k] * e[k] * q[j*d+k]
			}
		}
	}
	return out
}

func TestFrechetSameSetIsZeroAndSymmetric(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	mk := func(n int, shift float32) [][]float32 {
		v := make([][]float32, n)
		for i := range v {
			v[i] = make([]float32, 6)
			for j := range v[i] {
				v[i][j] = float32(r.NormFloat64()) + shift*float32(j)
			}
			v[i][1] += v[i][0] // correlated
		}
		return v
	}
	a, b := mk(50, 0), mk(40, 0.3)
	self, err := FrechetDistance(a, a)
	if err != nil || self > 1e-9 {
		t.Errorf("FD(a, a) = %g, %v", self, err)
	}
	ab, _ := FrechetDistance(a, b)
	ba, _ := FrechetDistance(b, a)
	if !(ab > 0) || !closeTo(ab, ba, 1e-9) {
		t.Errorf("FD(a,b) %g, FD(b,a) %g", ab, ba)
	}
}

func TestFrechetBadInput(t *testing.T) {
	if _, err := FrechetDistance([][]float32{{1, 2}}, [][]float32{{1, 2}, {3, 4}}); err == nil {
		t.Error("one vector: no error")
	}
	if _, err := FrechetDistance([][]float32{{1, 2}, {1}}, [][]float32{{1, 2}, {3, 4}}); err == nil {
		t.Error("ragged: no error")
	}
	if _, err := FrechetDistance([][]float32{{1, 2}, {2, 3}}, [][]float32{{1, 2, 3}, {3, 4, 5}}); err == nil {
		t.Error("dimension mismatch: no error")
	}
	if _, err := FrechetDistance([][]float32{{1, float32(math.NaN())}, {2, 3}}, [][]float32{{1, 2}, {3, 4}}); err == nil {
		t.Error("NaN: no error")
	}
}
