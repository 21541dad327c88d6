package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Finite-difference gradient checks of the classifier's operations (max pooling, dropout,
// softmax cross-entropy), with the same harness as the engine's other operations.
func TestClassifierOpGradients(t *testing.T) {
	cases := []gradCase{
		{"max pool 2", func(t *testing.T, g *Graph, rng *rand.Rand) (*Node, []*Node, [][]float32) {
			// Distinct values at least 2·eps apart so no finite difference crosses a tie.
			x, xd := g.Input("x", 2, 4, 5, 3)
			for i, j := range rng.Perm(len(xd)) {
				xd[i] = float32(j)*0.05 - 3
			}
			return must(t)(MaxPool2D(x, 2)), []*Node{x}, [][]float32{xd}
		}},
		{"dropout 0.4", func(t *testing.T, g *Graph, rng *rand.Rand) (*Node, []*Node, [][]float32) {
			x, xd := randInput(g, rng, "x", false, 3, 2, 2, 5)
			return must(t)(Dropout(x, 0.4, &DropoutSeed{Seed: 9})), []*Node{x}, [][]float32{xd}
		}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkGradients(t, tc, rand.New(rand.NewPCG(uint64(100+i), 11)))
		})
	}
	losses := []lossCase{
		{"softmax cross-entropy", func(t *testing.T, g *Graph, rng *rand.Rand) (*Node, *Targets, []*Node, [][]float32) {
			x, xd := randInput(g, rng, "logits", false, 5, 3)
			tg := &Targets{Labels: []int{0, 2, 1, 2, 2}}
			return must(t)(SoftmaxCrossEntropy(x, tg)), tg, []*Node{x}, [][]float32{xd}
		}},
		{"weighted softmax cross-entropy", func(t *testing.T, g *Graph, rng *rand.Rand) (*Node, *Targets, []*Node, [][]float32) {
			x, xd := randInput(g, rng, "logits", false, 4, 3)
			xd[0] = 40 // far tail: log-sum-exp must not overflow
			tg := &Targets{Labels: []int{0, 1, 1, 2}, Weights: []float32{0.5, 1, 3}}
			return must(t)(SoftmaxCrossEntropy(x, tg)), tg, []*Node{x}, [][]float32{xd}
		}},
		{"conv BN ReLU pool dense dropout loss", func(t *testing.T, g *Graph, rng *rand.Rand) (*Node, *Targets, []*Node, [][]float32) {
			// The classifier's block structure end to end: gradients reach the first weights.
			x, _ := randInput(g, rng, "x", false, 4, 6, 6, 1)
			w1, w1d := randInput(g, rng, "w1", false, 9, 3)
			ga, gd := randInput(g, rng, "gamma", false, 1, 1, 1, 3)
			be, bd := randInput(g, rng, "beta", false, 1, 1, 1, 3)
			w2, w2d := randInput(g, rng, "w2", false, 27, 2)
			b2, b2d := randInput(g, rng, "b2", false, 1, 1, 1, 2)
			h := must(t)(Conv2D(x, w1, 3, 1, 1, false))
			h = must(t)(BatchNorm(h, ga, be, NewBNStats(3), BNTrain, 1))
			h = must(t)(ReLU(h))
			h = must(t)(MaxPool2D(h, 2))
			h = must(t)(Dropout(h, 0.25, &DropoutSeed{Seed: 3}))
			h = must(t)(Dense(h, w2, []int{2}, true))
			h = must(t)(BiasAdd(h, b2))
			tg := &Targets{Labels: []int{0, 1, 1, 0}}
			return must(t)(SoftmaxCrossEntropy(h, tg)), tg, []*Node{w1, ga, be, w2, b2}, [][]float32{w1d, gd, bd, w2d, b2d}
		}},
	}
	for i, tc := range losses {
		t.Run(tc.name, func(t *testing.T) {
			checkLossGradients(t, tc, rand.New(rand.NewPCG(uint64(200+i), 11)))
		})
	}
}

// lossCase is a gradCase whose output is a softmax cross-entropy, read through its Targets.
type lossCase struct {
	name  string
	build func(t *testing.T, g *Graph, rng *rand.Rand) (loss *Node, tg *Targets, wrt []*Node, data [][]float32)
}

func checkLossGradients(t *testing.T, tc lossCase, rng *rand.Rand) {
	g := NewGraph()
	loss, tg, wrt, data := tc.build(t, g, rng)
	grads, err := Grad(loss, wrt...)
	if err != nil {
		t.Fatal(err)
	}
	m, err := g.Compile(append([]*Node{loss}, grads...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	f := func() float64 {
		if err := m.Run(); err != nil {
			t.Fatal(err)
		}
		return float64(tg.Last)
	}
	f()
	analytic := make([][]float32, len(grads))
	for i, gn := range grads {
		analytic[i] = append([]float32(nil), Value(gn)...)
	}
	// A smaller step than the engine's harness: the end-to-end case has ReLU kinks right after
	// BatchNorm, where a step of 1e-2 in the first weights crosses some of them.
	const eps = 1e-3
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
			num := (fp - fm) / (2 * eps)
			got := float64(analytic[i][j])
			if math.Abs(num-got) > 2e-2*math.Max(1, math.Abs(num)) {
				t.Errorf("%s: d/d%v[%d]: analytic %.5f, numeric %.5f", tc.name, wrt[i], j, got, num)
			}
		}
	}
}

func runForward(t *testing.T, g *Graph, y *Node) []float32 {
	t.Helper()
	m, err := g.Compile(y)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.Run(); err != nil {
		t.Fatal(err)
	}
	return append([]float32(nil), Value(y)...)
}

func TestMaxPoolValues(t *testing.T) {
	g := NewGraph()
	x, xd := g.Input("x", 1, 3, 4, 1) // the third row does not fill a window and is dropped
	copy(xd, []float32{
		1, 5, 2, 0,
		3, 4, -1, 7,
		9, 9, 9, 9,
	})
	got := runForward(t, g, must(t)(MaxPool2D(x, 2)))
	want := []float32{5, 7}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("max pool = %v, want %v", got, want)
	}
}

func TestDropoutMaskRateAndSeed(t *testing.T) {
	mask := func(seed uint64) []float32 {
		g := NewGraph()
		x, xd := g.Input("x", 1, 100, 100, 1)
		for i := range xd {
			xd[i] = 1
		}
		return runForward(t, g, must(t)(Dropout(x, 0.3, &DropoutSeed{Seed: seed})))
	}
	a, b, c := mask(1), mask(1), mask(2)
	var zeros, diff int
	var sum float64
	for i := range a {
		if a[i] != b[i] {
			t.Fatal("same seed gave different masks")
		}
		if a[i] != c[i] {
			diff++
		}
		if a[i] == 0 {
			zeros++
		}
		sum += float64(a[i])
	}
	if rate := float64(zeros) / float64(len(a)); math.Abs(rate-0.3) > 0.02 {
		t.Errorf("dropped %.3f of the units, want 0.3", rate)
	}
	if mean := sum / float64(len(a)); math.Abs(mean-1) > 0.03 {
		t.Errorf("mean after inverted dropout %.3f, want ≈1", mean)
	}
	if diff == 0 {
		t.Error("different seeds gave the same mask")
	}
}

func TestSoftmaxCrossEntropyValue(t *testing.T) {
	g := NewGraph()
	x, xd := g.Input("logits", 2, 2)
	copy(xd, []float32{0, 0, 2, 0})
	tg := &Targets{Labels: []int{0, 1}, Weights: []float32{1, 3}}
	runForward(t, g, must(t)(SoftmaxCrossEntropy(x, tg)))
	// Sample 1: -log(1/2); sample 2: -log(1/(1+e²)); weighted mean with weights 1 and 3.
	want := (math.Log(2) + 3*math.Log(1+math.Exp(2))) / 4
	if math.Abs(float64(tg.Last)-want) > 1e-5 {
		t.Fatalf("loss %.6f, want %.6f", tg.Last, want)
	}
	p := Softmax([]float32{0, 0, 2, 0}, 2)
	if math.Abs(p[1][0]-1/(1+math.Exp(-2))) > 1e-9 || math.Abs(p[0][1]-0.5) > 1e-12 {
		t.Fatalf("softmax %v", p)
	}
}

func TestSoftmaxCrossEntropyRejectsBadLabel(t *testing.T) {
	g := NewGraph()
	x, _ := g.Input("logits", 2, 3)
	tg := &Targets{Labels: []int{0, 1}}
	y := must(t)(SoftmaxCrossEntropy(x, tg))
	m, err := g.Compile(y)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	tg.Labels[1] = 3
	if err := m.Run(); err == nil {
		t.Fatal("label 3 of 3 classes accepted")
	}
}
