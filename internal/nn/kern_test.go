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
