package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestDiffAugmentValues checks the forward map pixel by pixel on a small image: the translation
// moves content right and down, uncovered and cut-out pixels are 0, and the colour change keeps
// the image's mean up to the brightness shift.
func TestDiffAugmentValues(t *testing.T) {
	g := NewGraph()
	x, xd := g.Input("x", 1, 3, 3, 1)
	copy(xd, []float32{1, 2, 3, 4, 5, 6, 7, 8, 9}) // mean 5
	y, aug, err := DiffAugment(x)
	if err != nil {
		t.Fatal(err)
	}
	m, err := g.Compile(y)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	aug.Params[0] = AugParams{Brightness: 1, Contrast: 2, DX: 1, DY: 0, CutX: 2, CutY: 2, CutSize: 1}
	if err := m.Run(); err != nil {
		t.Fatal(err)
	}
	// colour: 2(x−5)+5+1 = 2x−4 → 1→-2, 2→0, 4→4, 5→6, 7→10, 8→12; shifted right by one; (2,2) cut.
	want := []float32{0, -2, 0, 0, 4, 6, 0, 10, 0}
	for i, v := range Value(y) {
		if math.Abs(float64(v-want[i])) > 1e-6 {
			t.Fatalf("pixel %d = %v, want %v (all: %v)", i, v, want[i], Value(y))
		}
	}
	aug.Reset()
	if err := m.Run(); err != nil {
		t.Fatal(err)
	}
	for i, v := range Value(y) {
		if v != xd[i] {
			t.Fatalf("identity parameters changed pixel %d: %v, want %v", i, v, xd[i])
		}
	}
}

// TestDiffAugmentAdjoint checks ⟨T(x), g⟩ = ⟨x, Tᵀ(g)⟩ over every element for random parameters
// (the finite-difference test samples only some of them).
func TestDiffAugmentAdjoint(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 9))
	const b, h, w = 6, 8, 7
	fwd := &augOp{base: newBase("diffAugment", b, h, w, 1), aug: &Augmentation{Params: make([]AugParams, b)}, b: b, h: h, w: w, c: 1}
	bwd := &augGradOp{base: newBase("diffAugmentGrad", b, h, w, 1), fwd: fwd}
	for i := range fwd.aug.Params {
		fwd.aug.Params[i] = AugParams{Brightness: float32(rng.Float64() - 0.5), Contrast: float32(0.5 + rng.Float64()),
			DX: rng.IntN(7) - 3, DY: rng.IntN(7) - 3, CutX: rng.IntN(w+4) - 2, CutY: rng.IntN(h+4) - 2, CutSize: rng.IntN(5)}
	}
	x := randSlice(rng, b*h*w)
	gr := randSlice(rng, b*h*w)
	// T is affine (brightness); its linear part is T(x) − T(0).
	tx := denseOf(t, fwd, x)
	t0 := denseOf(t, fwd, make([]float32, len(x)))
	tg := denseOf(t, bwd, gr)
	var lhs, rhs float64
	for i := range x {
		lhs += float64(tx[i]-t0[i]) * float64(gr[i])
		rhs += float64(x[i]) * float64(tg[i])
	}
	if math.Abs(lhs-rhs) > 1e-3*math.Max(1, math.Abs(lhs)) {
		t.Fatalf("⟨T x, g⟩ = %.6f, ⟨x, Tᵀ g⟩ = %.6f", lhs, rhs)
	}
}

func denseOf(t *testing.T, op interface {
	Do(...gorgonia.Value) (gorgonia.Value, error)
}, in []float32) []float32 {
	t.Helper()
	v, err := op.Do(tensor.New(tensor.WithShape(6, 8, 7, 1), tensor.WithBacking(append([]float32(nil), in...))))
	if err != nil {
		t.Fatal(err)
	}
	return append([]float32(nil), f32s(v)...)
}
