package metrics

import (
	"math"
	"math/rand/v2"
	"testing"
)

func line(xs ...float32) [][]float32 {
	v := make([][]float32, len(xs))
	for i, x := range xs {
		v[i] = []float32{x, 0}
	}
	return v
}

func TestPrecisionRecallByHand(t *testing.T) {
	real := line(0, 1, 2, 3, 10)
	fake := line(0.5, 20, 5, 100)
	for _, tc := range []struct {
		k            int
		prec, recall float64
		why          string
	}{
		// k=1: real radii 1,1,1,1,7; fakes 0.5 (≤1 from 0) and 5 (5 ≤ 7 from 10) are inside, 20 and
		// 100 are not. Fake radii 4.5, 15, 4.5, 80: every real is within 4.5 of 0.5 or 10 of 20.
		{1, 0.5, 1, "k=1"},
		// k=2: real radii 2,1,1,2,8: same fakes inside. Fake radii 19.5, 19.5, 15, 95: all reals in.
		{2, 0.5, 1, "k=2"},
	} {
		t.Run(tc.why, func(t *testing.T) {
			got, err := PrecisionRecall(real, fake, tc.k)
			if err != nil {
				t.Fatal(err)
			}
			if got.Precision != tc.prec || got.Recall != tc.recall || got.K != tc.k || got.NReal != 5 || got.NFake != 4 {
				t.Errorf("got %+v, want precision %g recall %g", got, tc.prec, tc.recall)
			}
			// Swapping the sets swaps precision and recall.
			sw, _ := PrecisionRecall(fake, real, tc.k)
			if sw.Precision != got.Recall || sw.Recall != got.Precision {
				t.Errorf("swapped: %+v vs %+v", sw, got)
			}
		})
	}
	// k defaults to 3 (Kynkäänniemi et al.).
	got, _ := PrecisionRecall(real, fake, 0)
	if got.K != 3 {
		t.Errorf("default k %d", got.K)
	}
}

// A point exactly on a radius counts as inside, even where single precision cannot tell: all
// coordinates sit at 4096 + small integers, so float32 Gram products lose the differences.
func TestPrecisionRecallExactBoundary(t *testing.T) {
	const off = 4096
	mk := func(xs ...float32) [][]float32 {
		v := make([][]float32, len(xs))
		for i, x := range xs {
			v[i] = make([]float32, 8)
			for j := range v[i] {
				v[i][j] = off
			}
			v[i][0] += x
		}
		return v
	}
	real := mk(0, 2, 4, 6)   // k=1 radii: 2 each
	fake := mk(8, 9, 11, 13) // 8 is exactly 2 from 6: inside; 9, 11, 13 outside
	got, err := PrecisionRecall(real, fake, 1)
	if err != nil {
		t.Fatal(err)
	}
	// Fake radii: 1, 1, 2, 2 — real 6 is 2 from 8 but 8's radius is 1: outside; no real is inside.
	if got.Precision != 0.25 || got.Recall != 0 {
		t.Errorf("got %+v, want precision 0.25 recall 0", got)
	}
}

func brutePR(real, fake [][]float32, k int) (float64, float64) {
	sq := func(a, b []float32) float64 {
		var s float64
		for i := range a {
			d := float64(a[i]) - float64(b[i])
			s += d * d
		}
		return s
	}
	radii := func(x [][]float32) []float64 {
		r := make([]float64, len(x))
		for i := range x {
			var ds []float64
			for j := range x {
				if j != i {
					ds = append(ds, sq(x[i], x[j]))
				}
			}
			// selection by repeated minimum: independent of the package's sort
			for n := 0; n < k; n++ {
				m := n
				for p := n + 1; p < len(ds); p++ {
					if ds[p] < ds[m] {
						m = p
					}
				}
				ds[n], ds[m] = ds[m], ds[n]
			}
			r[i] = ds[k-1]
		}
		return r
	}
	cover := func(a, b [][]float32, rb []float64) float64 {
		in := 0
		for _, x := range a {
			for j, y := range b {
				if sq(x, y) <= rb[j] {
					in++
					break
				}
			}
		}
		return float64(in) / float64(len(a))
	}
	return cover(fake, real, radii(real)), cover(real, fake, radii(fake))
}

func TestPrecisionRecallMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	mk := func(n int, scale, shift float64) [][]float32 {
		v := make([][]float32, n)
		for i := range v {
			v[i] = make([]float32, 16)
			for j := range v[i] {
				v[i][j] = float32(r.NormFloat64()*scale + shift)
			}
		}
		return v
	}
	// More than one GEMM block of rows (256).
	real, fake := mk(300, 1, 0), mk(270, 0.6, 0.4)
	for _, k := range []int{1, 3, 5} {
		got, err := PrecisionRecall(real, fake, k)
		if err != nil {
			t.Fatal(err)
		}
		p, rc := brutePR(real, fake, k)
		if math.Abs(got.Precision-p) > 1e-12 || math.Abs(got.Recall-rc) > 1e-12 {
			t.Errorf("k=%d: got %+v, brute force precision %g recall %g", k, got, p, rc)
		}
		if got.Precision == 0 || got.Precision == 1 || got.Recall == 0 || got.Recall == 1 {
			t.Errorf("k=%d: degenerate fixture %+v", k, got)
		}
	}
}

func TestPrecisionRecallBadInput(t *testing.T) {
	if _, err := PrecisionRecall(line(0, 1, 2), line(0, 1, 2, 3), 3); err == nil {
		t.Error("k = n real: no error")
	}
	if _, err := PrecisionRecall(line(0, 1, 2, 3), [][]float32{{1, 2, 3}, {1, 2, 3}, {1, 2, 3}, {1, 2, 3}}, 1); err == nil {
		t.Error("dimension mismatch: no error")
	}
}

func BenchmarkPrecisionRecall2000x128(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	mk := func(n int) [][]float32 {
		v := make([][]float32, n)
		for i := range v {
			v[i] = make([]float32, 128)
			for j := range v[i] {
				v[i][j] = float32(r.NormFloat64())
			}
		}
		return v
	}
	real, fake := mk(2000), mk(2000)
	for b.Loop() {
		if _, err := PrecisionRecall(real, fake, 3); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFrechet2000x128(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	mk := func(n int) [][]float32 {
		v := make([][]float32, n)
		for i := range v {
			v[i] = make([]float32, 128)
			for j := range v[i] {
				v[i][j] = float32(r.NormFloat64())
			}
		}
		return v
	}
	x, y := mk(2000), mk(2000)
	for b.Loop() {
		if _, err := FrechetDistance(x, y); err != nil {
			b.Fatal(err)
		}
	}
}
