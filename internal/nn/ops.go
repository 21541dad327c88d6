package nn

import (
	"fmt"
	"hash"
	"hash/fnv"
	"math"
	"sync/atomic"

	"github.com/chewxy/hm"
	"github.com/raysynth/raysynth/internal/blas"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// opSeq numbers every operation instance: gorgonia merges nodes whose op hashes and children are
// equal, and two layers with the same geometry must stay two nodes.
var opSeq atomic.Int64

// base is what every engine operation shares: identity, output shape and its own output buffer.
type base struct {
	id    int64
	kind  string
	shape tensor.Shape
	out   *tensor.Dense
	prec  Precision // the graph's, set by Compile; products go through prec.Sgemm / prec.Gemm
	held  bool      // set by Machine.Run of a machine that reuses this output (see Machine.Reuse)
	out16 *bf16Copy // the bfloat16 copy of the output the kernels write (copySource), or nil
}

func newBase(kind string, shape ...int) base {
	return base{id: opSeq.Add(1), kind: kind, shape: tensor.Shape(shape).Clone()}
}

func (b *base) ReturnsPtr() bool      { return false }
func (b *base) CallsExtern() bool     { return false }
func (b *base) OverwritesInput() int  { return -1 }
func (b *base) WriteHash(h hash.Hash) { fmt.Fprintf(h, "raysynth/nn.%s#%d", b.kind, b.id) }
func (b *base) Hashcode() uint32 {
	h := fnv.New32a()
	b.WriteHash(h)
	return h.Sum32()
}
func (b *base) String() string { return fmt.Sprintf("%s#%d", b.kind, b.id) }
func (b *base) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return b.shape.Clone(), nil
}

// value returns the operation's output tensor, allocated on first use and reused afterwards.
func (b *base) value() *tensor.Dense {
	if b.out == nil {
		b.out = tensor.New(tensor.WithShape(b.shape.Clone()...), tensor.WithBacking(make([]float32, b.shape.TotalSize())))
	}
	return b.out
}

func (b *base) data() []float32 { return b.value().Float32s() }

// owner is implemented by every engine operation: its output buffer.
type owner interface{ data() []float32 }

func tt(dims int) gorgonia.TensorType {
	return gorgonia.TensorType{Dims: dims, Of: hm.TypeVariable('a')}
}

func f32s(v gorgonia.Value) []float32 {
	switch t := v.(type) {
	case *tensor.Dense:
		return t.Float32s()
	default:
		panic(fmt.Sprintf("nn: want a float32 tensor, got %T", v))
	}
}

func scalarOf(v gorgonia.Value) float32 {
	switch t := v.(type) {
	case *gorgonia.F32:
		return float32(*t)
	case *tensor.Dense:
		return t.Float32s()[0]
	default:
		if f, ok := v.Data().(float32); ok {
			return f
		}
		panic(fmt.Sprintf("nn: want a float32 scalar, got %T", v))
	}
}

func apply(op gorgonia.Op, children ...*gorgonia.Node) (*gorgonia.Node, error) {
	n, err := gorgonia.ApplyOp(op, children...)
	if err != nil {
		return nil, fmt.Errorf("nn: apply %v: %w", op, err)
	}
	return n, nil
}

// ---- convolution (big → small) -------------------------------------------------------------

type convOp struct {
	base
	g      geom
	inGrad bool
	in     *bf16Copy // bf16 copy of the input, shared with the weight gradient (set by SymDiff)
}

func newConvOp(g geom, inGrad bool) *convOp {
	return &convOp{base: newBase("conv2d", g.B, g.Ho, g.Wo, g.Cs), g: g, inGrad: inGrad}
}

func (op *convOp) reusable() *base    { return &op.base }
func (op *convOp) Arity() int         { return 2 }
func (op *convOp) Type() hm.Type      { return hm.NewFnType(tt(4), tt(2), tt(4)) }
func (op *convOp) DiffWRT(int) []bool { return []bool{op.inGrad, true} }
func (op *convOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	if op.held {
		return op.value(), nil
	}
	op.g.conv(op.prec, f32s(in[0]), f32s(in[1]), op.data(), blas.ConvCopies{Big: op.in.use()})
	return op.value(), nil
}
func (op *convOp) SymDiff(in gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	if op.in == nil {
		op.in = inputCopy(in[0], &op.base)
	}
	fg := newFilterGradOp(op.g)
	fg.big = op.in
	var dx *gorgonia.Node
	var err error
	if op.inGrad {
		d := newConvTOp(op.g, true)
		d.in = inputCopy(grad, &d.base)
		fg.small = d.in
		if dx, err = apply(d, grad, in[1]); err != nil {
			return nil, err
		}
	} else {
		fg.small = inputCopy(grad, nil)
	}
	dw, err := apply(fg, in[0], grad)
	if err != nil {
		return nil, err
	}
	return gorgonia.Nodes{dx, dw}, nil
}

// ---- transposed convolution (small → big) --------------------------------------------------

type convTOp struct {
	base
	g      geom
	inGrad bool
	in     *bf16Copy // bf16 copy of the input, shared with the weight gradient (set by SymDiff)
}

func newConvTOp(g geom, inGrad bool) *convTOp {
	return &convTOp{base: newBase("convT2d", g.B, g.H, g.W, g.C), g: g, inGrad: inGrad}
}

func (op *convTOp) reusable() *base    { return &op.base }
func (op *convTOp) Arity() int         { return 2 }
func (op *convTOp) Type() hm.Type      { return hm.NewFnType(tt(4), tt(2), tt(4)) }
func (op *convTOp) DiffWRT(int) []bool { return []bool{op.inGrad, true} }
func (op *convTOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	if op.held {
		return op.value(), nil
	}
	op.g.convT(op.prec, f32s(in[0]), f32s(in[1]), op.data(), blas.ConvCopies{Small: op.in.use()})
	return op.value(), nil
}
func (op *convTOp) SymDiff(in gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	if op.in == nil {
		op.in = inputCopy(in[0], &op.base)
	}
	fg := newFilterGradOp(op.g)
	fg.small = op.in
	var dx *gorgonia.Node
	var err error
	if op.inGrad {
		d := newConvOp(op.g, true)
		d.in = inputCopy(grad, &d.base)
		fg.big = d.in
		if dx, err = apply(d, grad, in[1]); err != nil {
			return nil, err
		}
	} else {
		fg.big = inputCopy(grad, nil)
	}
	dw, err := apply(fg, grad, in[0])
	if err != nil {
		return nil, err
	}
	return gorgonia.Nodes{dx, dw}, nil
}

// ---- weight gradient of both: im2col(big)ᵀ · small -----------------------------------------

type filterGradOp struct {
	base
	g          geom
	big, small *bf16Copy // the copies of its inputs that the forward and input-gradient passes keep
}

func newFilterGradOp(g geom) *filterGradOp {
	return &filterGradOp{base: newBase("filterGrad", g.kkc(), g.Cs), g: g}
}

func (op *filterGradOp) Arity() int    { return 2 }
func (op *filterGradOp) Type() hm.Type { return hm.NewFnType(tt(4), tt(4), tt(2)) }
func (op *filterGradOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	op.g.filterGrad(op.prec, f32s(in[0]), f32s(in[1]), op.data(), blas.ConvCopies{Big: op.big.use(), Small: op.small.use()})
	return op.value(), nil
}

// ---- dense: (B, Kin…) · (Kin, N) → (B, N…) -------------------------------------------------

type denseOp struct {
	base
	b, kin, n int
	inDims    int
	inGrad    bool
	xShape    tensor.Shape
	in        *bf16Copy // the bf16 copy of x that x's operation writes (copySource), or nil
}

func (op *denseOp) reusable() *base    { return &op.base }
func (op *denseOp) Arity() int         { return 2 }
func (op *denseOp) Type() hm.Type      { return hm.NewFnType(tt(op.inDims), tt(2), tt(len(op.shape))) }
func (op *denseOp) DiffWRT(int) []bool { return []bool{op.inGrad, true} }
func (op *denseOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	if op.held {
		return op.value(), nil
	}
	x, w, y := f32s(in[0]), f32s(in[1]), op.data()
	if x16 := validBits(op.in.use()); x16 != nil && op.prec == BF16 {
		// x already in bfloat16: the same row split as Precision.Gemm, so the same bits
		n, k := op.n, op.kin
		gemmRows(op.b, n, k, func(lo, hi int) {
			blas.GemmBF16A(false, false, hi-lo, n, k, x16[lo*k:hi*k], w, n, 0, y[lo*n:], n)
		})
		return op.value(), nil
	}
	op.prec.Gemm(false, false, op.b, op.n, op.kin, x, op.kin, w, op.n, 0, y, op.n)
	return op.value(), nil
}
func (op *denseOp) SymDiff(in gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	var dx *gorgonia.Node
	var err error
	if op.inGrad {
		d := &denseDataOp{base: newBase("denseGradX", op.xShape...), op: op}
		if dx, err = apply(d, grad, in[1]); err != nil {
			return nil, err
		}
	}
	f := &denseFilterOp{base: newBase("denseGradW", op.kin, op.n), op: op}
	dw, err := apply(f, in[0], grad)
	if err != nil {
		return nil, err
	}
	return gorgonia.Nodes{dx, dw}, nil
}

type denseDataOp struct {
	base
	op *denseOp
}

func (d *denseDataOp) Arity() int { return 2 }
func (d *denseDataOp) Type() hm.Type {
	return hm.NewFnType(tt(len(d.op.shape)), tt(2), tt(d.op.inDims))
}
func (d *denseDataOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	o := d.op
	d.prec.Gemm(false, true, o.b, o.kin, o.n, f32s(in[0]), o.n, f32s(in[1]), o.n, 0, d.data(), o.kin)
	return d.value(), nil
}

type denseFilterOp struct {
	base
	op *denseOp
}

func (f *denseFilterOp) Arity() int { return 2 }
func (f *denseFilterOp) Type() hm.Type {
	return hm.NewFnType(tt(f.op.inDims), tt(len(f.op.shape)), tt(2))
}
func (f *denseFilterOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	o := f.op
	x, dy, dw := f32s(in[0]), f32s(in[1]), f.data()
	if o.in != nil && f.prec == BF16 {
		// x's operation keeps a bf16 copy: one product (x's columns are not a dense block of the
		// copy), from the copy when it is valid
		if x16 := validBits(o.in.use()); x16 != nil {
			blas.GemmBF16A(true, false, o.kin, o.n, o.b, x16, dy, o.n, 0, dw, o.n)
		} else {
			f.prec.Sgemm(true, false, o.kin, o.n, o.b, x, o.kin, dy, o.n, 0, dw, o.n)
		}
		return f.value(), nil
	}
	f.prec.Gemm(true, false, o.kin, o.n, o.b, x, o.kin, dy, o.n, 0, dw, o.n)
	return f.value(), nil
}

// ---- element-wise activations --------------------------------------------------------------

type actKind int

const (
	actLeaky actKind = iota
	actTanh
)

type actOp struct {
	base
	kind  actKind
	alpha float32
	dims  int
}

func (op *actOp) reusable() *base    { return &op.base }
func (op *actOp) Arity() int         { return 1 }
func (op *actOp) Type() hm.Type      { return hm.NewFnType(tt(op.dims), tt(op.dims)) }
func (op *actOp) DiffWRT(int) []bool { return []bool{true} }
func (op *actOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	if op.held {
		return op.value(), nil
	}
	x, y := f32s(in[0]), op.data()
	switch op.kind {
	case actLeaky:
		a := op.alpha
		parallel(len(x), func(lo, hi int) {
			// Branch-free: with random signs a branch mispredicts half the time, which made
			// this loop cost 5 ns an element.
			xs, ys := x[lo:hi], y[lo:hi]
			ys = ys[:len(xs)]
			for i, v := range xs {
				neg := float32(math.Float32bits(v) >> 31)
				ys[i] = v * (1 - (1-a)*neg)
			}
		})
	case actTanh:
		parallel(len(x), func(lo, hi int) {
			xs, ys := x[lo:hi], y[lo:hi]
			for i, v := range xs {
				ys[i] = tanh32(v)
			}
		})
	}
	return op.value(), nil
}
func (op *actOp) SymDiff(in gorgonia.Nodes, out, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	g := &actGradOp{base: newBase(op.base.kind+"Grad", op.shape...), fwd: op}
	from := in[0]
	if op.kind == actTanh {
		from = out
	}
	dx, err := apply(g, from, grad)
	if err != nil {
		return nil, err
	}
	return gorgonia.Nodes{dx}, nil
}

// actGradOp takes (x, dy) for LeakyReLU/ReLU and (y, dy) for tanh.
type actGradOp struct {
	base
	fwd *actOp
}

func (op *actGradOp) Arity() int    { return 2 }
func (op *actGradOp) Type() hm.Type { d := op.fwd.dims; return hm.NewFnType(tt(d), tt(d), tt(d)) }
func (op *actGradOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	x, dy, dx := f32s(in[0]), f32s(in[1]), op.data()
	switch op.fwd.kind {
	case actLeaky:
		a := op.fwd.alpha
		parallel(len(x), func(lo, hi int) {
			xs, ds, out := x[lo:hi], dy[lo:hi], dx[lo:hi]
			ds, out = ds[:len(xs)], out[:len(xs)]
			for i, v := range xs {
				pos := float32(math.Float32bits(-v) >> 31) // 1 when v > 0
				out[i] = ds[i] * (a + (1-a)*pos)
			}
		})
	case actTanh:
		parallel(len(x), func(lo, hi int) {
			for i := lo; i < hi; i++ {
				dx[i] = dy[i] * (1 - x[i]*x[i])
			}
		})
	}
	return op.value(), nil
}

// ---- per-channel bias ----------------------------------------------------------------------

type biasOp struct {
	base
	c    int
	dims int
}

func (op *biasOp) reusable() *base    { return &op.base }
func (op *biasOp) Arity() int         { return 2 }
func (op *biasOp) Type() hm.Type      { return hm.NewFnType(tt(op.dims), tt(4), tt(op.dims)) }
func (op *biasOp) DiffWRT(int) []bool { return []bool{true, true} }
func (op *biasOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	if op.held {
		return op.value(), nil
	}
	x, b, y := f32s(in[0]), f32s(in[1]), op.data()
	c := op.c
	parallel(len(x)/c, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xs, ys := x[r*c:(r+1)*c], y[r*c:(r+1)*c]
			for j, v := range xs {
				ys[j] = v + b[j]
			}
		}
	})
	return op.value(), nil
}
func (op *biasOp) SymDiff(_ gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	g := &biasGradOp{base: newBase("biasGrad", 1, 1, 1, op.c), fwd: op, part: make([]float32, reduceChunks*op.c)}
	db, err := apply(g, grad)
	if err != nil {
		return nil, err
	}
	return gorgonia.Nodes{grad, db}, nil
}

type biasGradOp struct {
	base
	fwd  *biasOp
	part []float32
}

func (op *biasGradOp) Arity() int    { return 1 }
func (op *biasGradOp) Type() hm.Type { return hm.NewFnType(tt(op.fwd.dims), tt(4)) }
func (op *biasGradOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	dy := f32s(in[0])
	c := op.fwd.c
	channelSums(dy, c, op.part, op.data())
	return op.value(), nil
}

// channelSums writes the per-channel sums of x (rows of c) into out, in a fixed order.
func channelSums(x []float32, c int, part, out []float32) {
	rows := len(x) / c
	chunked(rows, func(p, lo, hi int) {
		acc := part[p*c : (p+1)*c]
		clear(acc)
		kSums(x[lo*c:hi*c], c, hi-lo, acc)
	})
	for j := 0; j < c; j++ {
		var s float64
		for p := 0; p < reduceChunks; p++ {
			s += float64(part[p*c+j])
		}
		out[j] = float32(s)
	}
}

// ---- GAN loss ------------------------------------------------------------------------------

// lossOp is the numerically stable binary cross-entropy on logits: the first nReal logits have
// target "real" (mean softplus(-l)), the rest "fake" (mean softplus(l)); each group is averaged on
// its own and the two means are added.
type lossOp struct {
	base
	n, nReal int
	last     float32
}

func softplus(x float64) float64 { return math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x))) }
func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

func (op *lossOp) Arity() int         { return 1 }
func (op *lossOp) Type() hm.Type      { return hm.NewFnType(tt(4), hm.TypeVariable('a')) }
func (op *lossOp) DiffWRT(int) []bool { return []bool{true} }
func (op *lossOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	l := f32s(in[0])
	var real, fake float64
	for i, v := range l {
		if i < op.nReal {
			real += softplus(-float64(v))
		} else {
			fake += softplus(float64(v))
		}
	}
	var loss float64
	if op.nReal > 0 {
		loss += real / float64(op.nReal)
	}
	if nf := op.n - op.nReal; nf > 0 {
		loss += fake / float64(nf)
	}
	op.last = float32(loss)
	return gorgonia.NewF32(op.last), nil
}
func (op *lossOp) SymDiff(in gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	g := &lossGradOp{base: newBase("ganLossGrad", op.n, 1, 1, 1), fwd: op}
	dl, err := apply(g, in[0], grad)
	if err != nil {
		return nil, err
	}
	return gorgonia.Nodes{dl}, nil
}

type lossGradOp struct {
	base
	fwd *lossOp
}

func (op *lossGradOp) Arity() int    { return 2 }
func (op *lossGradOp) Type() hm.Type { return hm.NewFnType(tt(4), hm.TypeVariable('a'), tt(4)) }
func (op *lossGradOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	l, g, dl := f32s(in[0]), float64(scalarOf(in[1])), op.data()
	nr, nf := float64(op.fwd.nReal), float64(op.fwd.n-op.fwd.nReal)
	for i, v := range l {
		if i < op.fwd.nReal {
			dl[i] = float32(-g * sigmoid(-float64(v)) / nr)
		} else {
			dl[i] = float32(g * sigmoid(float64(v)) / nf)
		}
	}
	return op.value(), nil
}

// ---- per-channel bias and activation in one pass -------------------------------------------

// biasActOp is y = act(x + b): BiasAdd then LeakyReLU/ReLU or tanh, one pass over the data and
// one buffer instead of two. The arithmetic is that of the two operations one after the other.
type biasActOp struct {
	base
	c     int
	dims  int
	kind  actKind
	alpha float32
	part  []float32 // reduceChunks × c partial sums of the backward pass
	db    []float32 // the bias gradient, left by the backward pass
}

func biasAct(x, b *Node, kind actKind, alpha float32, name string) (*Node, error) {
	s := x.Shape()
	c := s[len(s)-1]
	if b.Shape().TotalSize() != c {
		return nil, fmt.Errorf("nn: bias of %d for %d channels", b.Shape().TotalSize(), c)
	}
	op := &biasActOp{base: newBase(name, s...), c: c, dims: len(s), kind: kind, alpha: alpha,
		part: make([]float32, reduceChunks*c), db: make([]float32, c)}
	return apply(op, x, b)
}

// BiasLeakyReLU is BiasAdd followed by LeakyReLU(alpha) (ReLU when alpha is 0) as one operation.
func BiasLeakyReLU(x, b *Node, alpha float32) (*Node, error) {
	return biasAct(x, b, actLeaky, alpha, "biasLeakyReLU")
}

// BiasTanh is BiasAdd followed by Tanh as one operation.
func BiasTanh(x, b *Node) (*Node, error) { return biasAct(x, b, actTanh, 0, "biasTanh") }

func (op *biasActOp) reusable() *base    { return &op.base }
func (op *biasActOp) Arity() int         { return 2 }
func (op *biasActOp) Type() hm.Type      { return hm.NewFnType(tt(op.dims), tt(4), tt(op.dims)) }
func (op *biasActOp) DiffWRT(int) []bool { return []bool{true, true} }
func (op *biasActOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	if op.held {
		return op.value(), nil
	}
	x, b, y := f32s(in[0]), f32s(in[1]), op.data()
	c, kind, a := op.c, op.kind, op.alpha
	bf := op.produce(len(y))
	parallel(len(x)/c, func(lo, hi int) {
		switch {
		case bf != nil && kind != actTanh:
			kBiasLeaky16(x[lo*c:hi*c], y[lo*c:hi*c], c, hi-lo, b, a, bf[lo*c:hi*c])
		case bf != nil:
			kBiasTanh16(x[lo*c:hi*c], y[lo*c:hi*c], c, hi-lo, b, bf[lo*c:hi*c])
		case kind != actTanh:
			kBiasLeaky(x[lo*c:hi*c], y[lo*c:hi*c], c, hi-lo, b, a)
		default:
			kBiasTanh(x[lo*c:hi*c], y[lo*c:hi*c], c, hi-lo, b)
		}
	})
	if bf != nil {
		op.produced()
	}
	return op.value(), nil
}
func (op *biasActOp) SymDiff(_ gorgonia.Nodes, out, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	dx, err := apply(&biasActGradOp{base: newBase(op.base.kind+"Grad", op.shape...), fwd: op}, out, grad)
	if err != nil {
		return nil, err
	}
	db, err := apply(&biasActParamGradOp{base: newBase(op.base.kind+"GradBias", 1, 1, 1, op.c), fwd: op}, dx)
	if err != nil {
		return nil, err
	}
	return gorgonia.Nodes{dx, db}, nil
}

// biasActGradOp takes (y, dy), writes dx = dy·act′ and leaves the per-channel sums of dx (the
// bias gradient) in the forward op, in the same chunk order as [channelSums].
type biasActGradOp struct {
	base
	fwd *biasActOp
}

func (op *biasActGradOp) Arity() int { return 2 }
func (op *biasActGradOp) Type() hm.Type {
	d := op.fwd.dims
	return hm.NewFnType(tt(d), tt(d), tt(d))
}
func (op *biasActGradOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	y, dy, dx := f32s(in[0]), f32s(in[1]), op.data()
	f := op.fwd
	c, a := f.c, f.alpha
	bf := op.produce(len(dx))
	chunked(len(y)/c, func(p, lo, hi int) {
		acc := f.part[p*c : (p+1)*c]
		clear(acc)
		if bf != nil {
			kBiasActGrad16(y[lo*c:hi*c], dy[lo*c:hi*c], dx[lo*c:hi*c], c, hi-lo, acc, a, f.kind == actTanh, bf[lo*c:hi*c])
			return
		}
		kBiasActGrad(y[lo*c:hi*c], dy[lo*c:hi*c], dx[lo*c:hi*c], c, hi-lo, acc, a, f.kind == actTanh)
	})
	if bf != nil {
		op.produced()
	}
	for j := 0; j < c; j++ {
		var s float64
		for p := 0; p < reduceChunks; p++ {
			s += float64(f.part[p*c+j])
		}
		f.db[j] = float32(s)
	}
	return op.value(), nil
}

// biasActParamGradOp returns the bias gradient; its input is the dx node, only to run after it.
type biasActParamGradOp struct {
	base
	fwd *biasActOp
}

func (op *biasActParamGradOp) Arity() int    { return 1 }
func (op *biasActParamGradOp) Type() hm.Type { return hm.NewFnType(tt(op.fwd.dims), tt(4)) }
func (op *biasActParamGradOp) Do(...gorgonia.Value) (gorgonia.Value, error) {
	copy(op.data(), op.fwd.db)
	return op.value(), nil
}
