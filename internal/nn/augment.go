package nn

import (
	"fmt"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
)

// AugParams is one image's differentiable augmentation (DiffAugment, Zhao et al. 2020): a
// brightness shift, a contrast factor around the image's own mean, an integer translation with
// zero fill and a cutout square set to zero. The zero value changes nothing (Contrast 0 is taken
// as 1). There is deliberately no flip: a chest film's heart is on the left.
type AugParams struct {
	Brightness float32 // added to every pixel
	Contrast   float32 // y = Contrast·(x − mean) + mean; 0 means 1
	DX, DY     int     // the image moves right by DX and down by DY; uncovered pixels are 0
	CutX, CutY int     // top-left corner of the cutout square (may lie partly outside)
	CutSize    int     // side of the cutout square; 0: no cutout
}

// Augmentation is the handle of a [DiffAugment] node: set Params (one per image) before each
// run; the backward pass uses the same values.
type Augmentation struct {
	Params []AugParams
}

// Reset sets every image's parameters to the identity.
func (a *Augmentation) Reset() { clear(a.Params) }

// DiffAugment applies a per-image augmentation to x (B,H,W,C) as one differentiable operation:
// colour (brightness, contrast), then translation, then cutout, all linear in x, so its gradient
// is the adjoint of the same map. Gradients flow to x (a generator learns through it).
func DiffAugment(x *Node) (*Node, *Augmentation, error) {
	b, h, w, c, err := shape4(x)
	if err != nil {
		return nil, nil, err
	}
	a := &Augmentation{Params: make([]AugParams, b)}
	op := &augOp{base: newBase("diffAugment", b, h, w, c), aug: a, b: b, h: h, w: w, c: c}
	n, err := apply(op, x)
	if err != nil {
		return nil, nil, err
	}
	return n, a, nil
}

type augOp struct {
	base
	aug        *Augmentation
	b, h, w, c int
}

func (op *augOp) Arity() int         { return 1 }
func (op *augOp) Type() hm.Type      { return hm.NewFnType(tt(4), tt(4)) }
func (op *augOp) DiffWRT(int) []bool { return []bool{true} }

func (p AugParams) contrast() float32 {
	if p.Contrast == 0 {
		return 1
	}
	return p.Contrast
}

// cut reports whether output pixel (y, x) lies in the cutout square.
func (p AugParams) cut(y, x int) bool {
	return p.CutSize > 0 && y >= p.CutY && y < p.CutY+p.CutSize && x >= p.CutX && x < p.CutX+p.CutSize
}

func (op *augOp) check() error {
	if len(op.aug.Params) != op.b {
		return fmt.Errorf("nn: diffAugment has %d parameter sets for a batch of %d", len(op.aug.Params), op.b)
	}
	return nil
}

func (op *augOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	if err := op.check(); err != nil {
		return nil, err
	}
	x, y := f32s(in[0]), op.data()
	n := op.h * op.w * op.c
	parallel(op.b, func(b0, b1 int) {
		for b := b0; b < b1; b++ {
			p := op.aug.Params[b]
			src, dst := x[b*n:(b+1)*n], y[b*n:(b+1)*n]
			var s float64
			for _, v := range src {
				s += float64(v)
			}
			mean := float32(s / float64(n))
			k := p.contrast()
			shift := (1-k)*mean + p.Brightness
			for oy := 0; oy < op.h; oy++ {
				for ox := 0; ox < op.w; ox++ {
					d := dst[(oy*op.w+ox)*op.c : (oy*op.w+ox+1)*op.c]
					sy, sx := oy-p.DY, ox-p.DX
					if sy < 0 || sy >= op.h || sx < 0 || sx >= op.w || p.cut(oy, ox) {
						clear(d)
						continue
					}
					sv := src[(sy*op.w+sx)*op.c : (sy*op.w+sx+1)*op.c]
					for i, v := range sv {
						d[i] = k*v + shift
					}
				}
			}
		}
	})
	return op.value(), nil
}

func (op *augOp) SymDiff(_ gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	dx, err := apply(&augGradOp{base: newBase("diffAugmentGrad", op.shape...), fwd: op}, grad)
	if err != nil {
		return nil, err
	}
	return gorgonia.Nodes{dx}, nil
}

// augGradOp is the adjoint: dy is moved back through the cutout and the translation (t), then
// dx = k·t + (1−k)·mean(t) (the contrast's mean depends on every pixel).
type augGradOp struct {
	base
	fwd *augOp
}

func (op *augGradOp) Arity() int    { return 1 }
func (op *augGradOp) Type() hm.Type { return hm.NewFnType(tt(4), tt(4)) }
func (op *augGradOp) Do(in ...gorgonia.Value) (gorgonia.Value, error) {
	f := op.fwd
	if err := f.check(); err != nil {
		return nil, err
	}
	dy, dx := f32s(in[0]), op.data()
	n := f.h * f.w * f.c
	parallel(f.b, func(b0, b1 int) {
		for b := b0; b < b1; b++ {
			p := f.aug.Params[b]
			g, out := dy[b*n:(b+1)*n], dx[b*n:(b+1)*n]
			k := p.contrast()
			var s float64
			for sy := 0; sy < f.h; sy++ {
				for sx := 0; sx < f.w; sx++ {
					d := out[(sy*f.w+sx)*f.c : (sy*f.w+sx+1)*f.c]
					oy, ox := sy+p.DY, sx+p.DX
					if oy < 0 || oy >= f.h || ox < 0 || ox >= f.w || p.cut(oy, ox) {
						clear(d)
						continue
					}
					copy(d, g[(oy*f.w+ox)*f.c:(oy*f.w+ox+1)*f.c])
					for _, v := range d {
						s += float64(v)
					}
				}
			}
			add := (1 - k) * float32(s/float64(n))
			for i, v := range out {
				out[i] = k*v + add
			}
		}
	})
	return op.value(), nil
}
