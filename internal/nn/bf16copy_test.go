package nn

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/raysynth/raysynth/internal/blas"
)

// copyNetParams are a small DCGAN's: a generator z → 4×4×32 → 8×8×16 → 16×16×8 → 32×32×1 and a
// critic 32×32×1 → 16×16×8 → 8×8×16 → 4×4×32 → logit: layers for the convolution library, layers
// with a 4×4 side (im2col and products in bf16) and the one-channel image layer.
type copyNetParams []*Param

const copyNetG = 11 // the generator's parameters come first

func newCopyNetParams(seed uint64) copyNetParams {
	rng := rand.New(rand.NewPCG(seed, 1))
	ps := copyNetParams{
		NewParam("lin", 10, 4*4*32), NewParam("g0", 1, 1, 1, 32), NewParam("b0", 1, 1, 1, 32),
		NewParam("ct0", 16*16, 32), NewParam("g1", 1, 1, 1, 16), NewParam("b1", 1, 1, 1, 16),
		NewParam("ct1", 16*8, 16), NewParam("g2", 1, 1, 1, 8), NewParam("b2", 1, 1, 1, 8),
		NewParam("ct2", 16*1, 8), NewParam("bias", 1, 1, 1, 1),
		NewParam("c1", 16*1, 8), NewParam("dg1", 1, 1, 1, 8), NewParam("db1", 1, 1, 1, 8),
		NewParam("c2", 16*8, 16), NewParam("dg2", 1, 1, 1, 16), NewParam("db2", 1, 1, 1, 16),
		NewParam("c3", 16*16, 32), NewParam("dg3", 1, 1, 1, 32), NewParam("db3", 1, 1, 1, 32),
		NewParam("out", 4*4*32, 1),
	}
	for _, q := range ps {
		for i := range q.Data {
			q.Data[i] = float32(rng.NormFloat64()) * 0.2
		}
	}
	return ps
}

func (ps copyNetParams) critic(t *testing.T, g *Graph, x *Node, inputGrad bool, nReal int) *Node {
	t.Helper()
	h := x
	for l, c := range []int{8, 16, 32} {
		i := copyNetG + 3*l
		h = must(t)(Conv2D(h, g.Param(ps[i]), 4, 2, 1, inputGrad || l > 0))
		h = must(t)(BatchNormAct(h, g.Param(ps[i+1]), g.Param(ps[i+2]), NewBNStats(c), BNTrain, 1, 0.2))
	}
	return must(t)(GANLoss(must(t)(Dense(h, g.Param(ps[len(ps)-1]), []int{1, 1, 1}, true)), nReal))
}

// copyNetSteps trains the network for three D+G steps in bf16 the way the trainer does (a
// generator machine, a D step on real and generated images, a G step reusing the generator's
// activations) and returns every loss and gradient of every step.
func copyNetSteps(t *testing.T, share bool) [][]float32 {
	t.Helper()
	defer func() { shareBF16Copies = true }()
	shareBF16Copies = share
	ps := newCopyNetParams(7)
	rng := rand.New(rand.NewPCG(8, 9))

	gg := NewGraph()
	gg.SetPrecision(BF16)
	z, zv := gg.Input("z", 4, 10)
	h := must(t)(Dense(z, gg.Param(ps[0]), []int{4, 4, 32}, false))
	for l, c := range []int{32, 16, 8} {
		h = must(t)(BatchNormAct(h, gg.Param(ps[3*l+1]), gg.Param(ps[3*l+2]), NewBNStats(c), BNTrain, 1, 0))
		h = must(t)(ConvTranspose2D(h, gg.Param(ps[3*l+3]), 4, 2, 1, true))
	}
	fake := must(t)(BiasTanh(h, gg.Param(ps[copyNetG-1])))
	fwd, err := gg.Compile(fake)
	if err != nil {
		t.Fatal(err)
	}
	gLoss := ps.critic(t, gg, fake, true, 4)
	gGrads, err := Grad(gLoss, nodesOf(gg, ps[:copyNetG])...)
	if err != nil {
		t.Fatal(err)
	}
	gStep, err := gg.Compile(append([]*Node{gLoss}, gGrads...)...)
	if err != nil {
		t.Fatal(err)
	}
	if err := gStep.Reuse(fwd); err != nil {
		t.Fatal(err)
	}

	dg := NewGraph()
	dg.SetPrecision(BF16)
	x, xv := dg.Input("x", 4, 32, 32, 1)
	dLoss := ps.critic(t, dg, x, false, 2)
	dGrads, err := Grad(dLoss, nodesOf(dg, ps[copyNetG:])...)
	if err != nil {
		t.Fatal(err)
	}
	dStep, err := dg.Compile(append([]*Node{dLoss}, dGrads...)...)
	if err != nil {
		t.Fatal(err)
	}

	var out [][]float32
	for step := 0; step < 3; step++ {
		for i := range zv {
			zv[i] = float32(rng.NormFloat64())
		}
		if err := fwd.Run(); err != nil {
			t.Fatal(err)
		}
		half := len(xv) / 2
		for i := range xv[:half] {
			xv[i] = float32(rng.NormFloat64())
		}
		copy(xv[half:], Value(fake)[half:]) // two real images, two generated
		for _, m := range []*Machine{dStep, gStep} {
			if err := m.Run(); err != nil {
				t.Fatal(err)
			}
		}
		out = append(out, []float32{Scalar(dLoss), Scalar(gLoss)})
		for i, gr := range append(slices.Clone(dGrads), gGrads...) {
			v := slices.Clone(Value(gr))
			out = append(out, v)
			q := append(slices.Clone(ps[copyNetG:]), ps[:copyNetG]...)[i]
			for j := range v {
				q.Data[j] -= 0.05 * v[j]
			}
		}
	}
	return out
}

func nodesOf(g *Graph, ps []*Param) []*Node {
	var ns []*Node
	for _, p := range ps {
		ns = append(ns, g.Param(p))
	}
	return ns
}

// TestBF16CopiesChangeNothing trains a small DCGAN in bf16 with the layers' passes sharing their
// inputs' bfloat16 copies and with every pass converting its own: losses and gradients must be
// the same bits over three steps whose weights change in between, and where the CPU runs bf16
// convolutions, passes must have read copies others made.
func TestBF16CopiesChangeNothing(t *testing.T) {
	before := copyReads.Load()
	shared := copyNetSteps(t, true)
	reads := copyReads.Load() - before
	own := copyNetSteps(t, false)
	for i := range shared {
		if !slices.Equal(shared[i], own[i]) {
			t.Fatalf("value %d differs with shared copies: %v… against %v…", i, head(shared[i]), head(own[i]))
		}
	}
	if blas.HasBF16() && blas.ConvBackend() != "" && reads == 0 {
		t.Error("no pass read a shared bf16 copy")
	}
	t.Logf("%d passes read a shared copy in 3 steps", reads)
}

func head(v []float32) string { return fmt.Sprint(v[:min(4, len(v))]) }
