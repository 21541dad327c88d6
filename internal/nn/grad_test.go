package nn

import (
	"math"

	"github.com/chewxy/hm"
	"math/rand/v2"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// gradCase builds a graph whose output's gradients with respect to wrt (input nodes backed by
// data) are checked against central finite differences of Σ y·r for a random r (or of y itself
// when y is a scalar).
type gradCase struct {
	name  string
	build func(t *testing.T, g *Graph, rng *rand.Rand) (y *Node, wrt []*Node, data [][]float32)
}

func randInput(g *Graph, rng *rand.Rand, name string, avoidZero bool, shape ...int) (*Node, []float32) {
	n, d := g.Input(name, shape...)
	for i := range d {
		v := float32(rng.NormFloat64())
		if avoidZero && math.Abs(float64(v)) < 0.1 {
			v += 0.2 * float32(math.Copysign(1, float64(v)))
		}
		d[i] = v
	}
	return n, d
}

func must(t *testing.T) func(*Node, error) *Node {
	return func(n *Node, err error) *Node {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
}

func TestGradients(t *testing.T) {
	cases := []gradCase{
		{"conv2d k4 s2 p1", func(t *testing.T, g *Graph, rng *rand.Rand) (*Node, []*Node, [][]float32) {
			x, xd := randInput(g, rng, "x", false, 2, 6, 6, 3)
			w, wd := randInput(g, rng, "w", false, 48, 4)
			return must(t)(Conv2D(x, w, 4, 2, 1, true)), []*Node{x, w}, [][]float32{xd, wd}
		}},
		{"conv2d k3 s1 p1 one channel", func(t *testing.T, g *Graph, rng *rand.Rand) (*Node, []*Node, [][]float32) {
			x, xd := randInput(g, rng, "x", false, 2, 5, 5, 1)
			w, wd := randInput(g, rng, "w", false, 9, 2)
			return must(t)(Conv2D(x, w, 3, 1, 1, true)), []*Node{x, w}, [][]float32{xd, wd}
		}},
		{"conv2d k4 s1 p0 valid", func(t *testing.T, g *Graph, rng *rand.Rand) (*Node, []*Node, [][]float32) {
			x, xd := randInput(g, rng, "x", false, 3, 4, 4, 2)
			w, wd := randInput(g, rng, "w", false, 32, 1)
			return must(t)(Conv2D(x, w, 4, 1, 0, true)), []*Node{x, w}, [][]float32{xd, wd}
		}},
		{"convT k4 s2 p1", func(t *testing.T, g *Graph, rng *rand.Rand) (*Node, []*Node, [][]float32) {
			x, xd := randInput(g, rng, "x", false, 2, 3, 3, 4)
			w, wd := randInput(g, rng, "w", false, 32, 4)
			return must(t)(ConvTranspose2D(x, w, 4, 2, 1, true)), []*Node{x, w}, [][]float32{xd, wd}
		}},
		{"convT k4 s2 p1 to one channel", func(t *testing.T, g *Graph, rng *rand.Rand) (*Node, []*Node, [][]float32) {
			x, xd := randInput(g, rng, "x", false, 3, 2, 2, 3)
			w, wd := randInput(g, rng, "w", false, 16, 3)
			return must(t)(ConvTranspose2D(x, w, 4, 2, 1, true)), []*Node{x, w}, [][]float32{xd, wd}
		}},
		{"dense 2d to NHWC", func(t *testing.T, g *Graph, rng *rand.Rand) (*Node, []*Node, [][]float32) {
			x, xd := randInput(g, rng, "x", false, 3, 5)
			w, wd := randInput(g, rng, "w", false, 5, 12)
			return must(t)(Dense(x, w, []int{2, 2, 3}, true)), []*Node{x, w}, [][]float32{xd, wd}
		}},
		{"dense NHWC to logit", func(t *testing.T, g *Graph, rng *rand.Rand) (*Node, []*Node, [][]float32) {
			x, xd := randInput(g, rng, "x", false, 3, 2, 2, 2)
			w, wd := randInput(g, rng, "w", false, 8, 1)
			return must(t)(Dense(x, w, []int{1, 1, 1}, true)), []*Node{x, w}, [][]float32{xd, wd}
		}},
		{"batchnorm train two groups", func(t *testing.T, g *Graph, rng *rand.Rand) (*Node, []*Node, [][]float32) {
			x, xd := randInput(g, rng, "x", false, 4, 3, 3, 5)
			ga, gd := randInput(g, rng, "gamma", false, 1, 1, 1, 5)
			be, bd := randInput(g, rng, "beta", false, 1, 1, 1, 5)
			return must(t)(BatchNorm(x, ga, be, NewBNStats(5), BNTrain, 2)), []*Node{x, ga, be}, [][]float32{xd, gd, bd}
		}},
		{"batchnorm+leaky relu train two groups", func(t *testing.T, g *Graph, rng *rand.Rand) (*Node, []*Node, [][]float32) {
			x, xd := randInput(g, rng, "x", false, 4, 3, 3, 5)
			ga, gd := randInput(g, rng, "gamma", false, 1, 1, 1, 5)
			be, bd := randInput(g, rng, "beta", false, 1, 1, 1, 5)
			return must(t)(BatchNormAct(x, ga, be, NewBNStats(5), BNTrain, 2, 0.2)), []*Node{x, ga, be}, [][]float32{xd, gd, bd}
		}},
		{"batchnorm+relu eval", func(t *testing.T, g *Graph, rng *rand.Rand) (*Node, []*Node, [][]float32) {
			x, xd := randInput(g, rng, "x", false, 2, 2, 2, 3)
			ga, gd := randInput(g, rng, "gamma", false, 1, 1, 1, 3)
			be, bd := randInput(g, rng, "beta", false, 1, 1, 1, 3)
			st := NewBNStats(3)
			st.Mean = []float32{0.3, -0.2, 0.1}
			return must(t)(BatchNormAct(x, ga, be, st, BNEval, 1, 0)), []*Node{x, ga, be}, [][]float32{xd, gd, bd}
		}},
		{"batchnorm eval", func(t *testing.T, g *Graph, rng *rand.Rand) (*Node, []*Node, [][]float32) {
			x, xd := randInput(g, rng, "x", false, 2, 2, 2, 3)
			ga, gd := randInput(g, rng, "gamma", false, 1, 1, 1, 3)
			be, bd := randInput(g, rng, "beta", false, 1, 1, 1, 3)
			st := NewBNStats(3)
			st.Mean = []float32{0.3, -0.2, 0.1}
			st.Var = []float32{0.5, 2, 1.5}
			return must(t)(BatchNorm(x, ga, be, st, BNEval, 1)), []*Node{x, ga, be}, [][]float32{xd, gd, bd}
		}},
		{"leaky relu 0.2", func(t *testing.T, g *Graph, rng *rand.Rand) (*Node, []*Node, [][]float32) {
			x, xd := randInput(g, rng, "x", true, 2, 3, 3, 2)
			return must(t)(LeakyReLU(x, 0.2)), []*Node{x}, [][]float32{xd}
		}},
		{"relu", func(t *testing.T, g *Graph, rng *rand.Rand) (*Node, []*Node, [][]float32) {
			x, xd := randInput(g, rng, "x", true, 2, 3, 3, 2)
			return must(t)(ReLU(x)), []*Node{x}, [][]float32{xd}
		}},
		{"tanh", func(t *testing.T, g *Graph, rng *rand.Rand) (*Node, []*Node, [][]float32) {
			x, xd := randInput(g, rng, "x", false, 2, 3, 3, 2)
			return must(t)(Tanh(x)), []*Node{x}, [][]float32{xd}
		}},
		{"bias", func(t *testing.T, g *Graph, rng *rand.Rand) (*Node, []*Node, [][]float32) {
			x, xd := randInput(g, rng, "x", false, 2, 3, 3, 4)
			b, bd := randInput(g, rng, "b", false, 1, 1, 1, 4)
			return must(t)(BiasAdd(x, b)), []*Node{x, b}, [][]float32{xd, bd}
		}},
		{"bias+leaky relu 0.2", func(t *testing.T, g *Graph, rng *rand.Rand) (*Node, []*Node, [][]float32) {
			x, xd := randInput(g, rng, "x", true, 2, 3, 3, 4)
			b, bd := g.Input("b", 1, 1, 1, 4)
			copy(bd, []float32{0.03, -0.02, 0.01, -0.04}) // small: x+b keeps x's sign, away from the kink
			return must(t)(BiasLeakyReLU(x, b, 0.2)), []*Node{x, b}, [][]float32{xd, bd}
		}},
		{"bias+relu", func(t *testing.T, g *Graph, rng *rand.Rand) (*Node, []*Node, [][]float32) {
			x, xd := randInput(g, rng, "x", true, 2, 3, 3, 4)
			b, bd := g.Input("b", 1, 1, 1, 4)
			copy(bd, []float32{0.05, -0.03, 0.02, -0.01})
			return must(t)(BiasLeakyReLU(x, b, 0)), []*Node{x, b}, [][]float32{xd, bd}
		}},
		{"bias+tanh", func(t *testing.T, g *Graph, rng *rand.Rand) (*Node, []*Node, [][]float32) {
			x, xd := randInput(g, rng, "x", false, 2, 3, 3, 1)
			b, bd := randInput(g, rng, "b", false, 1, 1, 1, 1)
			return must(t)(BiasTanh(x, b)), []*Node{x, b}, [][]float32{xd, bd}
		}},
		{"gan loss discriminator", func(t *testing.T, g *Graph, rng *rand.Rand) (*Node, []*Node, [][]float32) {
			x, xd := randInput(g, rng, "logits", false, 6, 1, 1, 1)
			xd[0] = 30 // far in the tail: the stable form must not overflow
			xd[5] = -30
			return must(t)(GANLoss(x, 4)), []*Node{x}, [][]float32{xd}
		}},
		{"gan loss generator", func(t *testing.T, g *Graph, rng *rand.Rand) (*Node, []*Node, [][]float32) {
			x, xd := randInput(g, rng, "logits", false, 5, 1, 1, 1)
			return must(t)(GANLoss(x, 5)), []*Node{x}, [][]float32{xd}
		}},
		{"diffAugment colour, translation, cutout", func(t *testing.T, g *Graph, rng *rand.Rand) (*Node, []*Node, [][]float32) {
			x, xd := randInput(g, rng, "x", false, 4, 6, 5, 2)
			y, aug, err := DiffAugment(x)
			if err != nil {
				t.Fatal(err)
			}
			aug.Params[0] = AugParams{Brightness: 0.2, Contrast: 1.3, DX: 1, DY: -2, CutX: 3, CutY: -1, CutSize: 3}
			aug.Params[1] = AugParams{Brightness: -0.25, Contrast: 0.75, DX: -3, DY: 0}
			aug.Params[2] = AugParams{} // identity
			aug.Params[3] = AugParams{Contrast: 0.8, CutX: 0, CutY: 0, CutSize: 6}
			return y, []*Node{x}, [][]float32{xd}
		}},
		{"small network", func(t *testing.T, g *Graph, rng *rand.Rand) (*Node, []*Node, [][]float32) {
			// z → dense → BN → ReLU → convT → tanh → conv → LeakyReLU → dense → loss: the gradient
			// flows through every operation into the first weights, as in a GAN's generator step.
			z, zd := randInput(g, rng, "z", false, 4, 3)
			w1, w1d := randInput(g, rng, "w1", false, 3, 2*2*4)
			ga, gd := randInput(g, rng, "gamma", false, 1, 1, 1, 4)
			be, bd := randInput(g, rng, "beta", false, 1, 1, 1, 4)
			w2, w2d := randInput(g, rng, "w2", false, 16*2, 4)
			w3, w3d := randInput(g, rng, "w3", false, 16*2, 3)
			w4, w4d := randInput(g, rng, "w4", false, 2*2*3, 1)
			h := must(t)(Dense(z, w1, []int{2, 2, 4}, false))
			h = must(t)(BatchNorm(h, ga, be, NewBNStats(4), BNTrain, 1))
			h = must(t)(ReLU(h))
			h = must(t)(ConvTranspose2D(h, w2, 4, 2, 1, true))
			h = must(t)(Tanh(h))
			h = must(t)(Conv2D(h, w3, 4, 2, 1, true))
			h = must(t)(LeakyReLU(h, 0.2))
			h = must(t)(Dense(h, w4, []int{1, 1, 1}, true))
			_ = zd
			return must(t)(GANLoss(h, 4)), []*Node{w1, ga, be, w2, w3, w4}, [][]float32{w1d, gd, bd, w2d, w3d, w4d}
		}},
	}
	for _, tile := range []int{4 << 20, 40} { // 40 floats: several tiles per batch
		for i, tc := range cases {
			t.Run(tc.name+tileName(tile), func(t *testing.T) {
				savedRows, savedSmall := filterMinRows, smallTileFloats
				smallTileFloats = tile
				if tile < 1000 {
					filterMinRows = 1 // several weight-gradient tiles and both lanes too
				}
				defer func() { filterMinRows, smallTileFloats = savedRows, savedSmall }()
				checkGradients(t, tc, rand.New(rand.NewPCG(uint64(i), 7)))
			})
		}
	}
}

// smallStep lists cases whose output has kinks (activations after BatchNorm): a 1e-2 step would
// cross them when a perturbed scale or input moves a pre-activation through zero.
var smallStep = map[string]bool{"batchnorm+leaky relu train two groups": true, "batchnorm+relu eval": true, "small network": true}

func tileName(n int) string {
	if n < 1000 {
		return " tiled"
	}
	return ""
}

func checkGradients(t *testing.T, tc gradCase, rng *rand.Rand) {
	g := NewGraph()
	y, wrt, data := tc.build(t, g, rng)
	var cost *Node
	var r, rd []float32
	if y.IsScalar() {
		cost = y
	} else {
		var rn *Node
		rn, rd = randInput(g, rng, "r", false, y.Shape()...)
		r = append([]float32(nil), rd...)
		var err error
		if cost, err = apply(&dotOp{base: newBase("dot"), dims: len(y.Shape())}, y, rn); err != nil {
			t.Fatal(err)
		}
	}
	grads, err := Grad(cost, wrt...)
	if err != nil {
		t.Fatal(err)
	}
	vals := make([]gorgonia.Value, len(grads))
	roots := []*Node{y}
	for i, gn := range grads {
		roots = append(roots, gorgonia.Read(gn, &vals[i]))
	}
	m, err := g.Compile(roots...)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	f := func() float64 {
		copy(rd, r)
		if err := m.Run(); err != nil {
			t.Fatal(err)
		}
		if r == nil {
			return float64(Scalar(y))
		}
		var s float64
		for i, v := range Value(y) {
			s += float64(v) * float64(r[i])
		}
		return s
	}
	f()
	analytic := make([][]float32, len(vals))
	for i, v := range vals {
		analytic[i] = append([]float32(nil), v.(*tensor.Dense).Float32s()...)
	}
	eps := float32(1e-2)
	if smallStep[tc.name] {
		eps = 1e-3
	}
	for i, d := range data {
		if len(analytic[i]) != len(d) {
			t.Fatalf("gradient %d has %d values for %d inputs", i, len(analytic[i]), len(d))
		}
		for _, j := range sampleIdx(len(d), 24, rng) {
			old := d[j]
			d[j] = old + eps
			fp := f()
			d[j] = old - eps
			fm := f()
			d[j] = old
			num := (fp - fm) / (2 * float64(eps))
			got := float64(analytic[i][j])
			if math.Abs(num-got) > 2e-2*math.Max(1, math.Abs(num)) {
				t.Errorf("%s: d/d%v[%d]: analytic %.5f, numeric %.5f", tc.name, wrt[i], j, got, num)
			}
		}
	}
}

func sampleIdx(n, k int, rng *rand.Rand) []int {
	if n <= k {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	return rng.Perm(n)[:k]
}

// dotOp is Σ y·r, the test's projection of an output onto a scalar cost. It is an engine-style op
// rather than gorgonia's HadamardProd and Sum because the tape machine lets stock ops overwrite
// their inputs in place (the result of HadamardProd landed in y's buffer), which is the buffer
// this test reads.
type dotOp struct {
	base
	dims int
}

func (op *dotOp) Arity() int         { return 2 }
func (op *dotOp) Type() hm.Type      { return hm.NewFnType(tt(op.dims), tt(op.dims), hm.TypeVariable('a')) }
func (op *dotOp) DiffWRT(int) []bool { return []bool{true, false} }
func (op *dotOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	var s float64
	r := f32s(in[1])
	for i, v := range f32s(in[0]) {
		s += float64(v) * float64(r[i])
	}
	return gorgonia.NewF32(float32(s)), nil
}
func (op *dotOp) SymDiff(in gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	s := in[0].Shape()
	g, err := apply(&scaleOp{base: newBase("scale", s...), dims: len(s)}, in[1], grad)
	return gorgonia.Nodes{g, nil}, err
}

type scaleOp struct {
	base
	dims int
}

func (op *scaleOp) Arity() int { return 2 }
func (op *scaleOp) Type() hm.Type {
	return hm.NewFnType(tt(op.dims), hm.TypeVariable('a'), tt(op.dims))
}
func (op *scaleOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	g := scalarOf(in[1])
	out := op.data()
	for i, v := range f32s(in[0]) {
		out[i] = v * g
	}
	return op.value(), nil
}
