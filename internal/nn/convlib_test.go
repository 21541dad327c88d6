package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/raysynth/raysynth/internal/blas"
)

// convLayers are the layer shapes of the default 64×64 DCGAN (the generator's transposed
// convolutions are the same shapes read backwards) and of the 64×64 classifier.
var convLayers = []struct{ h, c, cs, k, s, p int }{
	{64, 1, 32, 4, 2, 1},
	{32, 32, 64, 4, 2, 1},
	{16, 64, 128, 4, 2, 1},
	{8, 128, 256, 4, 2, 1},
	{64, 1, 16, 3, 1, 1},
	{32, 16, 32, 3, 1, 1},
	{16, 32, 64, 3, 1, 1},
	{8, 64, 128, 3, 1, 1},
}

// TestConvLibMatchesGEMM runs every layer's three passes through the convolution library (also
// the passes geom keeps on the products) and through im2col and per-tile products, in both precisions, at an odd batch (two unequal
// parts): the results must agree within float32 rounding of different summation orders (bf16:
// both paths round the same inputs to bfloat16, so only the order differs there too).
func TestConvLibMatchesGEMM(t *testing.T) {
	if blas.ConvBackend() == "" {
		t.Skip("this build has no convolution library (oneDNN, tag dnnl): only one path to test")
	}
	defer func() { convLib = true }()
	for _, l := range convLayers {
		for _, p := range []Precision{FP32, BF16} {
			name := fmt.Sprintf("%dx%dx%d-k%ds%d-%v", l.h, l.h, l.c, l.k, l.s, p)
			t.Run(name, func(t *testing.T) {
				if p == BF16 && !blas.HasBF16() {
					t.Skip("oneDNN has bf16 convolutions only on CPUs with AVX512_BF16 (or its emulation on AVX-512); geom keeps the products here")
				}
				g, err := newGeom(3, l.h, l.h, l.c, l.cs, l.k, l.s, l.p)
				if err != nil {
					t.Fatal(err)
				}
				rng := rand.New(rand.NewPCG(uint64(l.h), uint64(l.cs)))
				big := randSlice(rng, g.B*g.bigLen())
				w := randSlice(rng, g.kkc()*g.Cs)
				small := randSlice(rng, g.B*g.smallRows()*g.Cs)
				run := func(lib bool) (conv, convT, dw []float32) {
					conv, convT, dw = make([]float32, len(small)), make([]float32, len(big)), make([]float32, len(w))
					for _, s := range [][]float32{conv, convT, dw} { // outputs are overwritten, not added to
						for i := range s {
							s[i] = float32(math.NaN())
						}
					}
					if lib { // every pass, also those geom keeps on the products
						s := g.shape()
						for _, c := range []struct {
							pass            blas.ConvPass
							big, small, out []float32
						}{
							{blas.ConvForward, big, conv, w},
							{blas.ConvBackwardData, convT, small, w},
							{blas.ConvBackwardWeights, big, small, dw},
						} {
							if !blas.Conv(c.pass, s, p == BF16, c.big, c.small, c.out, blas.ConvCopies{}, parallel) {
								t.Fatalf("pass %d: the library ran nothing", c.pass)
							}
						}
						return conv, convT, dw
					}
					convLib = false
					g.conv(p, big, w, conv, blas.ConvCopies{})
					g.convT(p, small, w, convT, blas.ConvCopies{})
					g.filterGrad(p, big, small, dw, blas.ConvCopies{})
					return conv, convT, dw
				}
				c0, t0, w0 := run(false)
				c1, t1, w1 := run(true)
				// each output is a sum of n products of unit normals: its size is about √n
				closeTo(t, "conv", c1, c0, g.kkc())
				closeTo(t, "convT", t1, t0, g.K*g.K*g.Cs)
				closeTo(t, "filterGrad", w1, w0, g.B*g.smallRows())
			})
		}
	}
}

// closeTo fails unless got and want, sums of n products, agree within float32 rounding.
func closeTo(t *testing.T, what string, got, want []float32, n int) {
	t.Helper()
	tol := 1e-5 * math.Sqrt(float64(n)) * 4
	same := 0
	for i := range want {
		d := math.Abs(float64(got[i] - want[i]))
		if !(d <= tol*math.Max(1, math.Abs(float64(want[i])))) {
			t.Fatalf("%s[%d] = %v, want %v (within %.2g)", what, i, got[i], want[i], tol)
		}
		if got[i] == want[i] {
			same++
		}
	}
	t.Logf("%s: %d of %d equal bit for bit", what, same, len(want))
}

// TestConvLibImpl names the library's implementation of every layer's passes: never its
// reference loops, which would be many times slower than the products they replace (bf16 only
// where the CPU runs it in hardware).
func TestConvLibImpl(t *testing.T) {
	if blas.ConvBackend() == "" {
		t.Skip("this build has no convolution library (oneDNN, tag dnnl)")
	}
	for _, l := range convLayers {
		g, err := newGeom(64, l.h, l.h, l.c, l.cs, l.k, l.s, l.p)
		if err != nil {
			t.Fatal(err)
		}
		s := g.shape()
		for _, bf16 := range []bool{false, true} {
			if bf16 && !blas.HasBF16() {
				continue // no bf16 convolutions on this CPU: geom keeps the products
			}
			for _, pass := range []blas.ConvPass{blas.ConvForward, blas.ConvBackwardData, blas.ConvBackwardWeights} {
				impl := blas.ConvImpl(pass, s, bf16)
				if impl == "" {
					t.Errorf("%+v bf16=%v pass %d: no implementation", s, bf16, pass)
				}
				t.Logf("%dx%dx%d→%d bf16=%v pass %d: %s", l.h, l.h, l.c, l.cs, bf16, pass, impl)
			}
		}
	}
}

// TestConvTPhasesMatchLibrary runs the fp32 transposed convolution of every 4×4, stride-2,
// padding-1 layer with more than one output channel as four phase convolutions
// (blas.ConvTPhases, what geom.convT uses) and through oneDNN's backward-data pass, at an odd
// batch (two unequal parts, each reordering its own weights), and wants them equal within float32
// rounding; every output must be written.
func TestConvTPhasesMatchLibrary(t *testing.T) {
	if blas.ConvBackend() == "" {
		t.Skip("this build has no convolution library (oneDNN, tag dnnl): only one path to test")
	}
	n := 0
	for _, l := range convLayers {
		if l.k != 4 || l.s != 2 || l.p != 1 || l.c == 1 {
			continue
		}
		for _, b := range []int{3, 4} {
			g, err := newGeom(b, l.h, l.h, l.c, l.cs, l.k, l.s, l.p)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(uint64(l.h), uint64(b)))
			w := randSlice(rng, g.kkc()*g.Cs)
			small := randSlice(rng, g.B*g.smallRows()*g.Cs)
			s := g.shape()
			want, got := make([]float32, g.B*g.bigLen()), make([]float32, g.B*g.bigLen())
			for i := range got {
				got[i] = float32(math.NaN())
			}
			if !blas.Conv(blas.ConvBackwardData, s, false, want, small, w, blas.ConvCopies{}, parallel) {
				t.Fatalf("%+v: the library ran nothing", s)
			}
			if !blas.ConvTPhases(s, got, small, w, parallel) {
				t.Fatalf("%+v: the phases ran nothing", s)
			}
			closeTo(t, fmt.Sprintf("%dx%dx%d batch %d convT", l.h, l.h, l.c, b), got, want, g.K*g.K*g.Cs)
			n++
		}
	}
	if n == 0 {
		t.Fatal("no layer to compare")
	}
}
