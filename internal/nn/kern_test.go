package nn

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// kernData returns n values with every sign case the kernels branch on: ±0, tiny and large values.
func kernData(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		switch rng.IntN(10) {
		case 0:
			s[i] = 0
		case 1:
			s[i] = float32(math.Copysign(0, -1))
		case 2:
			s[i] = float32(rng.NormFloat64() * 1e-30)
		default:
			s[i] = float32(rng.NormFloat64() * 3)
		}
	}
	return s
}

func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s[%d] = %v (%#x), Go loop gives %v (%#x)", what, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}

// TestKernelsMatchGo checks that the compiled kernels (C, vectorised, in builds with the openblas
// tag) give bit for bit the results of the Go loops, for channel counts around the vector widths.
func TestKernelsMatchGo(t *testing.T) {
	if !cKernels {
		t.Skip("this build runs the Go loops themselves")
	}
	rng := rand.New(rand.NewPCG(7, 7))
	for _, c := range []int{1, 3, 8, 16, 17, 32, 64, 100, 256} {
		rows := 37
		x, y, dy := kernData(rng, rows*c), kernData(rng, rows*c), kernData(rng, rows*c)
		a, b, m, is := kernData(rng, c), kernData(rng, c), kernData(rng, c), kernData(rng, c)
		gs, gxs := kernData(rng, c), kernData(rng, c)
		acc0 := kernData(rng, c)

		got, want := slices.Clone(acc0), slices.Clone(acc0)
		kSums(x, c, rows, got)
		goSums(x, c, rows, want)
		sameBits(t, "sums", got, want)

		got, want = slices.Clone(acc0), slices.Clone(acc0)
		kSqDev(x, c, rows, m, got)
		goSqDev(x, c, rows, m, want)
		sameBits(t, "sqdev", got, want)

		for _, act := range []bool{false, true} {
			gy, wy := make([]float32, rows*c), make([]float32, rows*c)
			kAffine(x, gy, c, rows, a, b, act, 0.2)
			goAffine(x, wy, c, rows, a, b, act, 0.2)
			sameBits(t, "affine", gy, wy)
		}

		gy, wy := make([]float32, rows*c), make([]float32, rows*c)
		kBiasLeaky(x, gy, c, rows, b, 0.2)
		goBiasLeaky(x, wy, c, rows, b, 0.2)
		sameBits(t, "biasLeaky", gy, wy)

		for _, tanh := range []bool{false, true} {
			gdx, wdx := make([]float32, rows*c), make([]float32, rows*c)
			got, want = slices.Clone(acc0), slices.Clone(acc0)
			kBiasActGrad(y, dy, gdx, c, rows, got, 0.2, tanh)
			goBiasActGrad(y, dy, wdx, c, rows, want, 0.2, tanh)
			sameBits(t, "biasActGrad dx", gdx, wdx)
			sameBits(t, "biasActGrad sums", got, want)
		}

		for _, withY := range []bool{false, true} {
			var yy, gAct, wAct []float32
			if withY {
				yy, gAct, wAct = y, make([]float32, rows*c), make([]float32, rows*c)
			}
			got, want = slices.Clone(acc0), slices.Clone(acc0)
			gotx, wantx := slices.Clone(acc0), slices.Clone(acc0)
			kBNGradSums(x, dy, yy, gAct, c, rows, m, is, 0.2, got, gotx)
			goBNGradSums(x, dy, yy, wAct, c, rows, m, is, 0.2, want, wantx)
			sameBits(t, "bnGradSums", got, want)
			sameBits(t, "bnGradSums x̂", gotx, wantx)
			sameBits(t, "bnGradSums dyAct", gAct, wAct)
		}

		gdx, wdx := make([]float32, rows*c), make([]float32, rows*c)
		kBNGradDx(x, dy, gdx, c, rows, a, m, is, gs, gxs, 1.0/37)
		goBNGradDx(x, dy, wdx, c, rows, a, m, is, gs, gxs, 1.0/37)
		sameBits(t, "bnGradDx", gdx, wdx)
	}
}

// TestGeomKernelsMatchGo checks the compiled im2col and col2im against the Go loops.
func TestGeomKernelsMatchGo(t *testing.T) {
	if !cKernels {
		t.Skip("this build runs the Go loops themselves")
	}
	rng := rand.New(rand.NewPCG(8, 8))
	for _, tc := range []struct{ b, h, w, c, cs, k, s, p int }{
		{2, 8, 8, 3, 5, 4, 2, 1},
		{1, 7, 6, 1, 2, 3, 1, 1},
		{3, 4, 4, 4, 2, 4, 1, 0},
		{2, 9, 9, 2, 3, 3, 2, 0},
		{2, 9, 9, 2, 3, 5, 2, 2},
		{2, 16, 16, 32, 4, 4, 2, 1},
		{2, 16, 16, 1, 4, 4, 2, 1},
	} {
		g, err := newGeom(tc.b, tc.h, tc.w, tc.c, tc.cs, tc.k, tc.s, tc.p)
		if err != nil {
			t.Fatal(err)
		}
		big := kernData(rng, tc.b*g.bigLen())
		rows := tc.b * g.smallRows()
		got, want := make([]float32, rows*g.kkc()), make([]float32, rows*g.kkc())
		kIm2col(g, big, got, 0, rows)
		g.goIm2col(big, want, 0, rows)
		sameBits(t, "im2col", got, want)
		r0 := g.smallRows() // a slice of the batch starting at sample 1
		kIm2col(g, big, got[:(rows-r0)*g.kkc()], r0, rows)
		g.goIm2col(big, want[:(rows-r0)*g.kkc()], r0, rows)
		sameBits(t, "im2col from sample 1", got, want)

		cols := kernData(rng, rows*g.kkc())
		gb, wb := make([]float32, len(big)), make([]float32, len(big))
		for b := 0; b < tc.b; b++ {
			kCol2im(g, cols, gb, b, 0)
			g.goCol2im(cols, wb, b, 0)
		}
		sameBits(t, "col2im", gb, wb)
	}
}

// TestAdamKernelMatchesGo checks the compiled Adam update against the Go loop bit for bit, over
// lengths around the vector width and several steps (moments carried from step to step).
func TestAdamKernelMatchesGo(t *testing.T) {
	if !cKernels {
		t.Skip("this build runs the Go loops themselves")
	}
	rng := rand.New(rand.NewPCG(9, 9))
	for _, n := range []int{1, 15, 16, 17, 100, 4099} {
		w := kernData(rng, n)
		w2, m, m2 := slices.Clone(w), make([]float32, n), make([]float32, n)
		v, v2 := make([]float32, n), make([]float32, n)
		for step := 1; step <= 4; step++ {
			g := kernData(rng, n)
			b1, b2 := float32(0.5), float32(0.999)
			k := adamCoef{b1: b1, omb1: 1 - b1, b2: b2, omb2: 1 - b2, step: float32(2e-4 / (1 - math.Pow(0.5, float64(step)))),
				sq: float32(math.Sqrt(1 - math.Pow(0.999, float64(step)))), eps: 1e-8}
			kAdam(w, g, m, v, k)
			goAdam(w2, g, m2, v2, k)
			sameBits(t, "adam w", w, w2)
			sameBits(t, "adam m", m, m2)
			sameBits(t, "adam v", v, v2)
		}
	}
}

// TestMovingAverageMatchesGo checks the compiled moving-average kernel and the parallel
// MovingAverage against the Go loop bit for bit, over lengths around the vector width and
// several decays, carried from step to step.
func TestMovingAverageMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 10))
	for _, n := range []int{1, 15, 16, 17, 100, 40099} {
		avg := kernData(rng, n)
		a1, a2 := slices.Clone(avg), slices.Clone(avg)
		for step := 1; step <= 4; step++ {
			w := kernData(rng, n)
			d := float32(math.Min(0.999, float64(1+step)/float64(10+step)))
			kMovingAvg(a1, w, d)
			MovingAverage(a2, w, d)
			goMovingAverage(avg, w, d)
			sameBits(t, "kernel", a1, avg)
			sameBits(t, "MovingAverage", a2, avg)
		}
	}
}

// TestTanh32 checks tanh32 against the correctly rounded tanh (within 7 float32 ulps and 4.5e-7)
// over [-12, 12] and tiny values, its odd symmetry, saturation and NaN; and the compiled bias+tanh
// kernel against the Go loop bit for bit, for one channel (images) and several.
func TestTanh32(t *testing.T) {
	var xs []float32
	for i := -1200000; i <= 1200000; i++ {
		xs = append(xs, float32(i)/100000)
	}
	for e := -40.0; e < 0; e += 0.01 {
		xs = append(xs, float32(math.Pow(10, e/4)), -float32(math.Pow(10, e/4)))
	}
	for _, x := range xs {
		got, want := tanh32(x), float32(math.Tanh(float64(x)))
		ulps := int64(math.Float32bits(got)) - int64(math.Float32bits(want))
		if ulps < -7 || ulps > 7 || math.Abs(float64(got-want)) > 4.5e-7 || (got < 0) != (want < 0) && want != 0 {
			t.Fatalf("tanh32(%v) = %v, tanh = %v (%d ulps)", x, got, want, ulps)
		}
		if tanh32(-x) != -got {
			t.Fatalf("tanh32(-%v) = %v, want %v", x, tanh32(-x), -got)
		}
	}
	if got := tanh32(float32(math.Inf(1))); got < 0.9999999 || got > 1 {
		t.Errorf("tanh32(+Inf) = %v", got)
	}
	if got := tanh32(float32(math.NaN())); got == got {
		t.Errorf("tanh32(NaN) = %v", got)
	}
	if !cKernels {
		return
	}
	rng := rand.New(rand.NewPCG(11, 11))
	for _, c := range []int{1, 3, 16, 17, 32} {
		rows := 257
		x, b := kernData(rng, rows*c), kernData(rng, c)
		got, want := make([]float32, rows*c), make([]float32, rows*c)
		kBiasTanh(x, got, c, rows, b)
		goBiasTanh(x, want, c, rows, b)
		sameBits(t, "bias tanh", got, want)
	}
}
