package nn

import (
	"fmt"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
)

// MaxPool2D takes the maximum over non-overlapping k×k windows of x (B,H,W,C), stride k, no
// padding: the output is (B, H/k, W/k, C) (rows and columns that do not fill a window are
// dropped). The gradient flows to the first maximum of each window.
func MaxPool2D(x *Node, k int) (*Node, error) {
	b, h, w, c, err := shape4(x)
	if err != nil {
		return nil, err
	}
	if k < 1 || h/k < 1 || w/k < 1 {
		return nil, fmt.Errorf("nn: max pool %d×%d over a %d×%d map", k, k, h, w)
	}
	ho, wo := h/k, w/k
	op := &maxPoolOp{base: newBase("maxPool", b, ho, wo, c), k: k, b: b, h: h, w: w, c: c, ho: ho, wo: wo,
		arg: make([]int32, b*ho*wo*c)}
	return apply(op, x)
}

type maxPoolOp struct {
	base
	k, b, h, w, c, ho, wo int
	arg                   []int32 // per output element: index of its maximum in the input
}

func (op *maxPoolOp) Arity() int         { return 1 }
func (op *maxPoolOp) Type() hm.Type      { return hm.NewFnType(tt(4), tt(4)) }
func (op *maxPoolOp) DiffWRT(int) []bool { return []bool{true} }
func (op *maxPoolOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	x, y := f32s(in[0]), op.data()
	k, h, w, c, ho, wo := op.k, op.h, op.w, op.c, op.ho, op.wo
	parallel(op.b*ho, func(lo, hi int) {
		for r := lo; r < hi; r++ { // r = b·ho + oy
			bi, oy := r/ho, r%ho
			for ox := 0; ox < wo; ox++ {
				o := ((bi*ho+oy)*wo + ox) * c
				yo, ao := y[o:o+c], op.arg[o:o+c]
				// Window positions in row-major order; channels are contiguous, so each
				// position is one pass over c values. The first maximum wins ties.
				for ky := 0; ky < k; ky++ {
					for kx := 0; kx < k; kx++ {
						base := ((bi*h+oy*k+ky)*w + ox*k + kx) * c
						xs := x[base : base+c]
						if ky == 0 && kx == 0 {
							copy(yo, xs)
							for ch := range ao {
								ao[ch] = int32(base + ch)
							}
							continue
						}
						for ch, v := range xs {
							if v > yo[ch] {
								yo[ch], ao[ch] = v, int32(base+ch)
							}
						}
					}
				}
			}
		}
	})
	return op.value(), nil
}
func (op *maxPoolOp) SymDiff(in gorgonia.Nodes, out, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	g := &maxPoolGradOp{base: newBase("maxPoolGrad", op.b, op.h, op.w, op.c), fwd: op}
	dx, err := apply(g, out, grad)
	if err != nil {
		return nil, err
	}
	return gorgonia.Nodes{dx}, nil
}

// maxPoolGradOp scatters dy onto the positions of the maxima; its first input (the pooled
// output) only orders it after the forward pass.
type maxPoolGradOp struct {
	base
	fwd *maxPoolOp
}

func (op *maxPoolGradOp) Arity() int    { return 2 }
func (op *maxPoolGradOp) Type() hm.Type { return hm.NewFnType(tt(4), tt(4), tt(4)) }
func (op *maxPoolGradOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	dy, dx := f32s(in[1]), op.data()
	f := op.fwd
	per := f.ho * f.wo * f.c // outputs per sample; windows never cross samples
	parallel(f.b, func(lo, hi int) {
		clear(dx[lo*f.h*f.w*f.c : hi*f.h*f.w*f.c])
		for i := lo * per; i < hi*per; i++ {
			dx[f.arg[i]] += dy[i]
		}
	})
	return op.value(), nil
}
