package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/raysynth/raysynth/internal/blas"
)

func TestParsePrecision(t *testing.T) {
	for _, p := range []Precision{FP32, BF16} {
		got, err := ParsePrecision(p.String())
		if err != nil || got != p {
			t.Fatalf("ParsePrecision(%q) = %v, %v", p.String(), got, err)
		}
	}
	if _, err := ParsePrecision("fp16"); err == nil {
		t.Fatal("fp16 accepted")
	}
}

// TestBF16GraphFollowsFP32 runs the same small network (transposed convolution, convolution,
// dense, GAN loss and all their gradients) in both precisions: the bf16 graph must really round
// (results differ from fp32) and stay within bfloat16's precision of the fp32 results.
func TestBF16GraphFollowsFP32(t *testing.T) {
	run := func(p Precision) (loss float32, grads [][]float32) {
		rng := rand.New(rand.NewPCG(7, 8))
		g := NewGraph()
		g.SetPrecision(p)
		z, zd := randInput(g, rng, "z", false, 4, 4, 4, 8)
		w1, _ := randInput(g, rng, "w1", false, 4*4*4, 8)
		w2, _ := randInput(g, rng, "w2", false, 4*4*4, 16)
		w3, _ := randInput(g, rng, "w3", false, 4*4*16, 1)
		for i := range zd {
			zd[i] *= 0.5
		}
		x := must(t)(ConvTranspose2D(z, w1, 4, 2, 1, true)) // 4×4×8 → 8×8×4
		h := must(t)(Conv2D(x, w2, 4, 2, 1, true))          // → 4×4×16
		l := must(t)(Dense(h, w3, []int{1, 1, 1}, true))    // → logit
		cost := must(t)(GANLoss(l, 2))
		gs, err := Grad(cost, z, w1, w2, w3)
		if err != nil {
			t.Fatal(err)
		}
		m, err := g.Compile(append([]*Node{cost}, gs...)...)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		if err := m.Run(); err != nil {
			t.Fatal(err)
		}
		for _, n := range gs {
			grads = append(grads, append([]float32(nil), Value(n)...))
		}
		return Scalar(cost), grads
	}
	l32, g32 := run(FP32)
	l16, g16 := run(BF16)
	if l32 == l16 {
		t.Fatalf("bf16 loss %v equals the fp32 loss exactly: the products were not rounded", l16)
	}
	if d := math.Abs(float64(l16 - l32)); d > 0.05*math.Abs(float64(l32))+1e-3 {
		t.Fatalf("bf16 loss %v, fp32 %v", l16, l32)
	}
	for i := range g32 {
		var num, den float64
		for j := range g32[i] {
			d := float64(g16[i][j] - g32[i][j])
			num += d * d
			den += float64(g32[i][j]) * float64(g32[i][j])
		}
		// bfloat16 keeps 8 significant bits (relative rounding 2⁻⁹); a few products deep the
		// relative error of a whole gradient stays within a few percent.
		if rel := math.Sqrt(num / den); rel > 0.05 || rel == 0 {
			t.Fatalf("gradient %d: relative difference bf16 vs fp32 %.3g, want within (0, 0.05]", i, rel)
		}
	}
}

// productsPath sets up a layer for the im2col-and-products path over several tiles (restored at
// the test's end) with random big, w and small.
func productsPath(t *testing.T, seed uint64, b, h, c, cs int) (g geom, big, w, small []float32) {
	t.Helper()
	g, err := newGeom(b, h, h, c, cs, 4, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	tiles, lib := smallTileFloats, convLib
	t.Cleanup(func() { smallTileFloats, convLib = tiles, lib })
	smallTileFloats = 2 * g.smallRows() * g.kkc() // several tiles
	convLib = false
	rng := rand.New(rand.NewPCG(seed, seed))
	return g, randSlice(rng, g.B*g.bigLen()), randSlice(rng, g.kkc()*g.Cs), randSlice(rng, g.B*g.smallRows()*g.Cs)
}

// sameBitsEither runs f with a switch on and then off and wants every output the same bits.
func sameBitsEither(t *testing.T, what string, f func(on bool) map[string][]float32) {
	t.Helper()
	on, off := f(true), f(false)
	for name, a := range on {
		for i := range a {
			if math.Float32bits(a[i]) != math.Float32bits(off[name][i]) {
				t.Fatalf("%s[%d] = %v with %s, %v without", name, i, a[i], what, off[name][i])
			}
		}
	}
}

// TestBF16WeightsRoundedOnce checks that rounding a layer's weights once per call (instead of in
// every tile's product) leaves the bf16 convolutions' results bit for bit the same.
func TestBF16WeightsRoundedOnce(t *testing.T) {
	g, big, w, small := productsPath(t, 3, 8, 16, 16, 32)
	sameBitsEither(t, "weights rounded once", func(once bool) map[string][]float32 {
		roundWeightsOnce = once
		defer func() { roundWeightsOnce = true }()
		conv, convT := make([]float32, len(small)), make([]float32, len(big))
		g.conv(BF16, big, w, conv, blas.ConvCopies{})
		g.convT(BF16, small, w, convT, blas.ConvCopies{})
		return map[string][]float32{"conv": conv, "convT": convT}
	})
}

// TestBF16ColsDirect checks that writing the im2col rows of bf16 products directly in bfloat16
// leaves conv and filterGrad bit for bit the same as rounding float32 rows in the product.
func TestBF16ColsDirect(t *testing.T) {
	g, big, w, small := productsPath(t, 4, 8, 8, 32, 64)
	sameBitsEither(t, "bf16 im2col rows", func(direct bool) map[string][]float32 {
		bf16Cols = direct
		defer func() { bf16Cols = true }()
		conv, dw := make([]float32, len(small)), make([]float32, len(w))
		g.conv(BF16, big, w, conv, blas.ConvCopies{})
		g.filterGrad(BF16, big, small, dw, blas.ConvCopies{})
		return map[string][]float32{"conv": conv, "filterGrad": dw}
	})
}
