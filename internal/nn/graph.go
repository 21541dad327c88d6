package nn

import (
	"errors"
	"fmt"

	"github.com/raysynth/raysynth/internal/blas"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Node is a node of a network graph.
type Node = gorgonia.Node

// Param is a learnable tensor. Its Data is shared by every graph the parameter appears in, and
// optimisers update it in place.
type Param struct {
	Name  string
	Shape []int
	Data  []float32
	t     *tensor.Dense
}

// NewParam returns a zero parameter of the given shape.
func NewParam(name string, shape ...int) *Param {
	n := 1
	for _, d := range shape {
		n *= d
	}
	p := &Param{Name: name, Shape: append([]int(nil), shape...), Data: make([]float32, n)}
	p.t = tensor.New(tensor.WithShape(shape...), tensor.WithBacking(p.Data))
	return p
}

// Graph is one network computation: a forward pass, optionally its gradients.
type Graph struct {
	g      *gorgonia.ExprGraph
	params map[*Param]*Node
	prec   Precision
}

// SetPrecision chooses the arithmetic of the graph's matrix products (FP32 unless set); it
// applies to the machines compiled afterwards.
func (g *Graph) SetPrecision(p Precision) { g.prec = p }

// Precision returns the arithmetic of the graph's matrix products.
func (g *Graph) Precision() Precision { return g.prec }

// NewGraph returns an empty graph. It sets OpenBLAS to one thread: the operations parallelise
// over rows and samples themselves.
func NewGraph() *Graph {
	blas.SetThreads(1)
	return &Graph{g: gorgonia.NewGraph(), params: map[*Param]*Node{}}
}

// Input adds a float32 input of the given shape and returns it with its backing slice, which the
// caller fills before each run.
func (g *Graph) Input(name string, shape ...int) (*Node, []float32) {
	n := 1
	for _, d := range shape {
		n *= d
	}
	data := make([]float32, n)
	t := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))
	return gorgonia.NewTensor(g.g, tensor.Float32, len(shape), gorgonia.WithShape(shape...), gorgonia.WithValue(t), gorgonia.WithName(name)), data
}

// Param adds (once) a parameter to the graph.
func (g *Graph) Param(p *Param) *Node {
	if n, ok := g.params[p]; ok {
		return n
	}
	n := gorgonia.NewTensor(g.g, tensor.Float32, len(p.Shape), gorgonia.WithShape(p.Shape...), gorgonia.WithValue(p.t), gorgonia.WithName(p.Name))
	g.params[p] = n
	return n
}

func shape4(x *Node) (b, h, w, c int, err error) {
	s := x.Shape()
	if len(s) != 4 {
		return 0, 0, 0, 0, fmt.Errorf("nn: want an NHWC tensor, got shape %v", s)
	}
	return s[0], s[1], s[2], s[3], nil
}

// Conv2D convolves x (B,H,W,Cin) with w (k·k·Cin, Cout), stride s, padding p. inputGrad says
// whether gradients flow back into x (false for a network's input images).
func Conv2D(x, w *Node, k, s, p int, inputGrad bool) (*Node, error) {
	b, h, wd, c, err := shape4(x)
	if err != nil {
		return nil, err
	}
	ws := w.Shape()
	if len(ws) != 2 || ws[0] != k*k*c {
		return nil, fmt.Errorf("nn: conv2d weight shape %v, want (%d, Cout)", ws, k*k*c)
	}
	gm, err := newGeom(b, h, wd, c, ws[1], k, s, p)
	if err != nil {
		return nil, err
	}
	op := newConvOp(gm, inputGrad)
	op.in = inputCopy(x, nil)
	return apply(op, x, w)
}

// ConvTranspose2D is the transposed convolution of x (B,h,w,Cin) with w (k·k·Cout, Cin): the output
// is (B, (h-1)·s-2p+k, (w-1)·s-2p+k, Cout).
func ConvTranspose2D(x, w *Node, k, s, p int, inputGrad bool) (*Node, error) {
	b, h, wd, cs, err := shape4(x)
	if err != nil {
		return nil, err
	}
	ws := w.Shape()
	if len(ws) != 2 || ws[1] != cs || ws[0]%(k*k) != 0 {
		return nil, fmt.Errorf("nn: transposed conv weight shape %v, want (%d·Cout, %d)", ws, k*k, cs)
	}
	gm, err := newGeom(b, (h-1)*s-2*p+k, (wd-1)*s-2*p+k, ws[0]/(k*k), cs, k, s, p)
	if err != nil {
		return nil, err
	}
	if gm.Ho != h || gm.Wo != wd {
		return nil, fmt.Errorf("nn: transposed conv geometry does not invert (%d×%d)", h, wd)
	}
	op := newConvTOp(gm, inputGrad)
	op.in = inputCopy(x, nil)
	return apply(op, x, w)
}

// Dense multiplies x (B, …) flattened to (B, Kin) by w (Kin, N) and shapes the result as
// (B, out…), whose trailing sizes multiply to N.
func Dense(x, w *Node, out []int, inputGrad bool) (*Node, error) {
	xs := x.Shape()
	ws := w.Shape()
	kin := xs.TotalSize() / xs[0]
	n := 1
	for _, d := range out {
		n *= d
	}
	if len(ws) != 2 || ws[0] != kin || ws[1] != n {
		return nil, fmt.Errorf("nn: dense weight shape %v, want (%d, %d)", ws, kin, n)
	}
	op := &denseOp{base: newBase("dense", append([]int{xs[0]}, out...)...), b: xs[0], kin: kin, n: n,
		inDims: len(xs), inGrad: inputGrad, xShape: xs.Clone(), in: inputCopy(x, nil)}
	return apply(op, x, w)
}

// BatchNorm normalises x (B,H,W,C) per channel with scale gamma and shift beta (both (1,1,1,C)).
// groups > 1 splits the batch into that many equal parts normalised separately, which equals
// running the layer on each part (used to pass real and fake images through D at once).
func BatchNorm(x, gamma, beta *Node, st *BNStats, mode BNMode, groups int) (*Node, error) {
	return batchNorm(x, gamma, beta, st, mode, groups, false, 0)
}

// BatchNormAct is BatchNorm followed by LeakyReLU(alpha) (ReLU when alpha is 0) as one operation:
// one pass over the activations instead of two, and one buffer less.
func BatchNormAct(x, gamma, beta *Node, st *BNStats, mode BNMode, groups int, alpha float32) (*Node, error) {
	return batchNorm(x, gamma, beta, st, mode, groups, true, alpha)
}

func batchNorm(x, gamma, beta *Node, st *BNStats, mode BNMode, groups int, act bool, alpha float32) (*Node, error) {
	b, h, w, c, err := shape4(x)
	if err != nil {
		return nil, err
	}
	if groups < 1 || b%groups != 0 {
		return nil, fmt.Errorf("nn: batch %d does not split into %d groups", b, groups)
	}
	if len(st.Mean) != c || gamma.Shape().TotalSize() != c || beta.Shape().TotalSize() != c {
		return nil, fmt.Errorf("nn: batchnorm over %d channels with %d statistics", c, len(st.Mean))
	}
	name := "batchNorm"
	if act {
		name = "batchNormAct"
	}
	op := &bnOp{base: newBase(name, b, h, w, c), st: st, mode: mode, c: c, rows: b * h * w, groups: groups, act: act, alpha: alpha,
		mean: make([]float32, groups*c), invstd: make([]float32, groups*c), a: make([]float32, groups*c), b: make([]float32, groups*c),
		part: make([]float32, reduceChunks*c), part2: make([]float32, 2*reduceChunks*c), dgamma: make([]float32, c), dbeta: make([]float32, c),
		gsum: make([]float32, groups*c), gxsum: make([]float32, groups*c)}
	return apply(op, x, gamma, beta)
}

func activation(x *Node, kind actKind, alpha float32, name string) (*Node, error) {
	s := x.Shape()
	return apply(&actOp{base: newBase(name, s...), kind: kind, alpha: alpha, dims: len(s)}, x)
}

// LeakyReLU is max(x, alpha·x) as one operation.
func LeakyReLU(x *Node, alpha float32) (*Node, error) {
	return activation(x, actLeaky, alpha, "leakyReLU")
}

// ReLU is max(x, 0).
func ReLU(x *Node) (*Node, error) { return activation(x, actLeaky, 0, "relu") }

// Tanh is the hyperbolic tangent.
func Tanh(x *Node) (*Node, error) { return activation(x, actTanh, 0, "tanh") }

// BiasAdd adds a per-channel bias b (1,1,1,C) to x (…, C).
func BiasAdd(x, b *Node) (*Node, error) {
	s := x.Shape()
	c := s[len(s)-1]
	if b.Shape().TotalSize() != c {
		return nil, fmt.Errorf("nn: bias of %d for %d channels", b.Shape().TotalSize(), c)
	}
	return apply(&biasOp{base: newBase("bias", s...), c: c, dims: len(s)}, x, b)
}

// GANLoss is the numerically stable discriminator/generator loss on logits (B,1,1,1): the first
// nReal have target "real" (mean softplus(-l)), the others "fake" (mean softplus(l)); the two means
// are added. With nReal = B it is the generator's loss.
func GANLoss(logits *Node, nReal int) (*Node, error) {
	s := logits.Shape()
	if len(s) != 4 || s.TotalSize() != s[0] || nReal < 0 || nReal > s[0] {
		return nil, fmt.Errorf("nn: GAN loss on shape %v with %d real", s, nReal)
	}
	return apply(&lossOp{base: newBase("ganLoss"), n: s[0], nReal: nReal}, logits)
}

// Grad adds the gradients of the scalar cost with respect to the parameters' nodes.
func Grad(cost *Node, wrt ...*Node) ([]*Node, error) {
	gs, err := gorgonia.Grad(cost, wrt...)
	if err != nil {
		return nil, fmt.Errorf("nn: differentiate: %w", err)
	}
	return gs, nil
}

// Machine runs a compiled graph.
type Machine struct {
	vm    gorgonia.VM
	sub   *gorgonia.ExprGraph
	g     *Graph
	held  []*base // outputs another machine computed: not recomputed here (Reuse)
	heldN map[*gorgonia.Node]bool
}

// Compile prepares the part of the graph that the roots (outputs, cost, gradients) need; nothing
// else runs.
func (g *Graph) Compile(roots ...*Node) (*Machine, error) {
	if len(roots) == 0 {
		return nil, errors.New("nn: compile: no outputs")
	}
	sub := g.g.ExactSubgraphRoots(roots...)
	for _, n := range sub.AllNodes() {
		if op, ok := n.Op().(precisioned); ok {
			op.setPrecision(g.prec)
		}
	}
	return &Machine{vm: gorgonia.NewTapeMachine(sub), sub: sub, g: g}, nil
}

// reusableOp is an operation whose Do returns its last output untouched while it is held.
type reusableOp interface{ reusable() *base }

// Reuse makes m take the outputs of the operations it shares with from (same graph) as from's
// last run left them, instead of computing them again: a training step runs the generator
// forward once for the discriminator's fake images and then differentiates through the same
// activations for the generator's update, as PyTorch's DCGAN loop does. The caller must run from
// just before every run of m, with the same inputs and parameters, and must not run from again
// before m has run; the results are then bit-identical to m computing those operations itself.
// Every shared operation must be a forward operation of this package (convolution, transposed
// convolution, dense, BatchNorm, activation, bias).
func (m *Machine) Reuse(from *Machine) error {
	if m.g != from.g {
		return errors.New("nn: reuse: the machines were compiled from different graphs")
	}
	inFrom := map[*gorgonia.Node]bool{}
	for _, n := range from.sub.AllNodes() {
		inFrom[n] = true
	}
	m.held, m.heldN = nil, map[*gorgonia.Node]bool{}
	for _, n := range m.sub.AllNodes() {
		if !inFrom[n] || n.Op() == nil {
			continue // not shared, or an input or parameter (a value, not a computation)
		}
		op, ok := n.Op().(reusableOp)
		if !ok {
			return fmt.Errorf("nn: reuse: %v cannot be reused", n.Op())
		}
		m.held = append(m.held, op.reusable())
		m.heldN[n] = true
	}
	return nil
}

// Run executes the graph once.
func (m *Machine) Run() error {
	run := runSeq.Add(1)
	curRun.Store(run)
	defer curRun.CompareAndSwap(run, 0)
	for _, b := range m.held {
		b.held = true
	}
	defer func() {
		for _, b := range m.held {
			b.held = false
		}
	}()
	defer m.vm.Reset()
	if err := m.vm.RunAll(); err != nil {
		return fmt.Errorf("nn: run: %w", err)
	}
	return nil
}

// Close releases the machine.
func (m *Machine) Close() error { return m.vm.Close() }

// Value returns the float32 data of a node after a run: the output buffer of an engine operation
// (valid until the next run) or the bound value of an input.
func Value(n *Node) []float32 {
	if o, ok := n.Op().(owner); ok {
		return o.data()
	}
	if n.Op() == nil {
		if d, ok := n.Value().(*tensor.Dense); ok {
			return d.Float32s()
		}
	}
	panic(fmt.Sprintf("nn: %v is not an engine operation or an input", n))
}

// Scalar returns the last value of a GAN loss node.
func Scalar(n *Node) float32 {
	if l, ok := n.Op().(*lossOp); ok {
		return l.last
	}
	panic(fmt.Sprintf("nn: %v is not a loss", n))
}

// FLOPs returns the matrix work (2 per multiply-add) of one run: convolutions, transposed
// convolutions, dense layers and their gradients, for speed reports; reused outputs (Reuse) cost
// nothing.
func (m *Machine) FLOPs() int64 {
	var total int64
	for _, n := range m.sub.AllNodes() {
		if m.heldN[n] {
			continue
		}
		switch op := n.Op().(type) {
		case *convOp:
			total += op.g.flops()
		case *convTOp:
			total += op.g.flops()
		case *filterGradOp:
			total += op.g.flops()
		case *denseOp:
			total += 2 * int64(op.b) * int64(op.kin) * int64(op.n)
		case *denseDataOp:
			total += 2 * int64(op.op.b) * int64(op.op.kin) * int64(op.op.n)
		case *denseFilterOp:
			total += 2 * int64(op.op.b) * int64(op.op.kin) * int64(op.op.n)
		}
	}
	return total
}
