package metrics

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

// TestFrechetDegenerateCovariance covers the embeddings of a mode-collapsed synthetic set: 104 of
// 128 dimensions are identically zero (dead ReLUs). testdata/collapsed-cov.json holds the
// covariance of such a set (classifier embeddings of 1,800 DCGAN images; no real image is
// involved): its 24 live dimensions and their covariance block. gonum's symmetric eigensolver
// returned eigenvalues around 1e120 on it (or panicked), which clamped the distance to 0. Shifting
// the mean by c leaves the covariance unchanged, so the distance must be ‖c‖² in both orders.
func TestFrechetDegenerateCovariance(t *testing.T) {
	b, err := os.ReadFile("testdata/collapsed-cov.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx struct {
		Dim  int       `json:"dim"`
		Live []int     `json:"live"`
		Cov  []float64 `json:"cov"`
	}
	if err := json.Unmarshal(b, &fx); err != nil {
		t.Fatal(err)
	}
	a := Gaussian{Mean: make([]float64, fx.Dim), Cov: make([]float64, fx.Dim*fx.Dim)}
	for bi, i := range fx.Live {
		for bj, j := range fx.Live {
			a.Cov[i*fx.Dim+j] = fx.Cov[bi*len(fx.Live)+bj]
		}
	}
	shifted := Gaussian{Mean: make([]float64, fx.Dim), Cov: a.Cov}
	var want float64
	for j := 0; j < fx.Dim; j += 7 {
		shifted.Mean[j] = 0.5
		want += 0.25
	}
	for _, tc := range []struct {
		name string
		x, y Gaussian
	}{{"collapsed first", a, shifted}, {"collapsed second", shifted, a}} {
		got, err := FrechetGaussians(tc.x, tc.y)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if math.Abs(got-want) > 1e-6*want+1e-9 {
			t.Errorf("%s: Fréchet distance %v, want %v", tc.name, got, want)
		}
	}
}
