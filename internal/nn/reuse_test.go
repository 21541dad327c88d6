package nn

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
)

// reuseNet is a small generator (dense, BatchNorm+ReLU, transposed convolution, bias+tanh) and
// a critic on its output (convolution, BatchNorm+LeakyReLU, dense, GAN loss), built on one graph.
type reuseNet struct {
	z     []float32
	out   *Node
	loss  *Node
	grads []*Node
	st    *BNStats
}

type reuseParams struct {
	lin, gamma, beta, convT, bias, conv, dGamma, dBeta, dOut *Param
}

func newReuseParams(rng *rand.Rand) reuseParams {
	p := reuseParams{
		lin: NewParam("lin", 6, 2*2*8), gamma: NewParam("gamma", 1, 1, 1, 8), beta: NewParam("beta", 1, 1, 1, 8),
		convT: NewParam("convT", 16*3, 8), bias: NewParam("bias", 1, 1, 1, 3), conv: NewParam("conv", 16*3, 4),
		dGamma: NewParam("dGamma", 1, 1, 1, 4), dBeta: NewParam("dBeta", 1, 1, 1, 4), dOut: NewParam("dOut", 2*2*4, 1),
	}
	for _, q := range []*Param{p.lin, p.gamma, p.beta, p.convT, p.bias, p.conv, p.dGamma, p.dBeta, p.dOut} {
		for i := range q.Data {
			q.Data[i] = float32(rng.NormFloat64()) * 0.5
		}
	}
	return p
}

func (p reuseParams) gen() []*Param { return []*Param{p.lin, p.gamma, p.beta, p.convT, p.bias} }

// buildReuseNet adds the generator to g (BatchNorm in train mode) and returns it; then, when
// critic is set, the critic's loss and the generator's gradients.
func buildReuseNet(t *testing.T, g *Graph, p reuseParams, critic bool) *reuseNet {
	t.Helper()
	n := &reuseNet{st: NewBNStats(8)}
	var z *Node
	z, n.z = g.Input("z", 4, 6)
	h := must(t)(Dense(z, g.Param(p.lin), []int{2, 2, 8}, false))
	h = must(t)(BatchNormAct(h, g.Param(p.gamma), g.Param(p.beta), n.st, BNTrain, 1, 0))
	h = must(t)(ConvTranspose2D(h, g.Param(p.convT), 4, 2, 1, true))
	n.out = must(t)(BiasTanh(h, g.Param(p.bias)))
	if critic {
		n.addCritic(t, g, p)
	}
	return n
}

func (n *reuseNet) addCritic(t *testing.T, g *Graph, p reuseParams) {
	t.Helper()
	h := must(t)(Conv2D(n.out, g.Param(p.conv), 4, 2, 1, true))
	h = must(t)(BatchNormAct(h, g.Param(p.dGamma), g.Param(p.dBeta), NewBNStats(4), BNTrainFrozen, 1, 0.2))
	logits := must(t)(Dense(h, g.Param(p.dOut), []int{1, 1, 1}, true))
	n.loss = must(t)(GANLoss(logits, 4))
	var wrt []*Node
	for _, q := range p.gen() {
		wrt = append(wrt, g.Param(q))
	}
	var err error
	if n.grads, err = Grad(n.loss, wrt...); err != nil {
		t.Fatal(err)
	}
}

// TestMachineReuse checks that a machine reusing another's generator activations gives the loss,
// gradients and BatchNorm running statistics, bit for bit, of a machine that computes them itself,
// over steps whose parameters change in between, and that it does no matrix work for them.
func TestMachineReuse(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	p := newReuseParams(rng)

	// Reusing: the generator machine, then the step machine on the same graph.
	gr := NewGraph()
	r := buildReuseNet(t, gr, p, false)
	fwd, err := gr.Compile(r.out)
	if err != nil {
		t.Fatal(err)
	}
	r.addCritic(t, gr, p)
	step, err := gr.Compile(append([]*Node{r.loss}, r.grads...)...)
	if err != nil {
		t.Fatal(err)
	}
	full := step.FLOPs()
	if err := step.Reuse(fwd); err != nil {
		t.Fatal(err)
	}
	if got, want := step.FLOPs(), full-fwd.FLOPs(); got != want || got <= 0 {
		t.Errorf("reusing machine counts %d FLOPs, want %d (%d without reuse)", got, want, full)
	}

	// Reference: one machine computing everything.
	gf := NewGraph()
	f := buildReuseNet(t, gf, p, true)
	ref, err := gf.Compile(append([]*Node{f.loss}, f.grads...)...)
	if err != nil {
		t.Fatal(err)
	}

	for it := 0; it < 3; it++ {
		for i := range r.z {
			r.z[i] = float32(rng.NormFloat64())
		}
		copy(f.z, r.z)
		if err := fwd.Run(); err != nil {
			t.Fatal(err)
		}
		if err := step.Run(); err != nil {
			t.Fatal(err)
		}
		if err := ref.Run(); err != nil {
			t.Fatal(err)
		}
		if Scalar(r.loss) != Scalar(f.loss) {
			t.Fatalf("step %d: loss %v with reuse, %v without", it, Scalar(r.loss), Scalar(f.loss))
		}
		for i := range r.grads {
			if !slices.Equal(Value(r.grads[i]), Value(f.grads[i])) {
				t.Fatalf("step %d: gradient of %s differs with reuse", it, p.gen()[i].Name)
			}
		}
		if !slices.Equal(r.st.Mean, f.st.Mean) || !slices.Equal(r.st.Var, f.st.Var) {
			t.Fatalf("step %d: running statistics %v %v with reuse, %v %v without", it, r.st.Mean, r.st.Var, f.st.Mean, f.st.Var)
		}
		// An optimiser step on the generator: the next fwd run must see it.
		for i, q := range p.gen() {
			for j, d := range Value(r.grads[i]) {
				q.Data[j] -= 0.1 * d
			}
		}
	}
	// The held operations compute again in their own machine.
	if err := fwd.Run(); err != nil {
		t.Fatal(err)
	}
	for _, b := range step.held {
		if b.held {
			t.Fatalf("%s still held after the run", b)
		}
	}
}

func TestMachineReuseRefuses(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	p := newReuseParams(rng)
	ga, gb := NewGraph(), NewGraph()
	a, b := buildReuseNet(t, ga, p, true), buildReuseNet(t, gb, p, false)
	ma, err := ga.Compile(a.loss)
	if err != nil {
		t.Fatal(err)
	}
	mb, err := gb.Compile(b.out)
	if err != nil {
		t.Fatal(err)
	}
	if err := ma.Reuse(mb); err == nil || !strings.Contains(err.Error(), "different graphs") {
		t.Errorf("reuse across graphs: %v", err)
	}

	// A shared operation that cannot hold its output (a gorgonia operation) is refused.
	g := NewGraph()
	x, _ := g.Input("x", 2, 3)
	y := gorgonia.Must(gorgonia.Square(x))
	s := gorgonia.Must(gorgonia.Sum(y))
	m1, err := g.Compile(y)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := g.Compile(s)
	if err != nil {
		t.Fatal(err)
	}
	if err := m2.Reuse(m1); err == nil || !strings.Contains(err.Error(), "cannot be reused") {
		t.Errorf("reuse of a gorgonia operation: %v", err)
	}
}
