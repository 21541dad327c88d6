package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/raysynth/raysynth/internal/blas"
	"github.com/raysynth/raysynth/internal/sysinfo"
)

// TestConvMatchesDirectLoops checks the im2col+GEMM convolution, the gather col2im transposed
// convolution and the weight gradient against the textbook loops (the gradient tests only check
// them against each other), and the convolution library's passes when the build has one. In
// BF16 the loops multiply the inputs rounded to bfloat16 (exact products) in float64: every
// path must round both inputs of its products and accumulate in float32.
func TestConvMatchesDirectLoops(t *testing.T) {
	for _, p := range []Precision{FP32, BF16} {
		for _, lib := range []bool{false, true} {
			t.Run(fmt.Sprintf("%v/lib=%v", p, lib), func(t *testing.T) {
				defer func() { convLib = true }()
				convLib = lib
				testConvMatchesDirectLoops(t, p)
			})
		}
	}
}

func testConvMatchesDirectLoops(t *testing.T, p Precision) {
	for _, tc := range []struct{ b, h, w, c, cs, k, s, p int }{
		{2, 8, 8, 3, 5, 4, 2, 1},
		{1, 7, 6, 1, 2, 3, 1, 1},
		{3, 4, 4, 4, 2, 4, 1, 0},
		{2, 9, 9, 2, 3, 3, 2, 0},
		{2, 9, 9, 2, 3, 5, 2, 2}, // up to 9 taps per pixel in col2im
		{2, 16, 16, 8, 4, 4, 2, 1},
		{3, 16, 16, 1, 8, 4, 2, 1}, // onto one channel: geom.convT1 in dnnl builds
		{2, 10, 12, 1, 5, 4, 2, 1}, // … with rows of 5 and 6 small pixels (not whole groups of 8)
	} {
		g, err := newGeom(tc.b, tc.h, tc.w, tc.c, tc.cs, tc.k, tc.s, tc.p)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(uint64(tc.h), 1))
		big := randSlice(rng, tc.b*g.bigLen())
		w := randSlice(rng, g.kkc()*tc.cs)
		small := randSlice(rng, tc.b*g.smallRows()*tc.cs)
		gotSmall := make([]float32, len(small))
		g.conv(p, big, w, gotSmall, blas.ConvCopies{})
		gotBig := make([]float32, len(big))
		g.convT(p, small, w, gotBig, blas.ConvCopies{})
		gotW := make([]float32, len(w))
		g.filterGrad(p, big, small, gotW, blas.ConvCopies{})
		if p == BF16 { // what the products must multiply
			for _, s := range [][]float32{big, w, small} {
				for i := range s {
					s[i] = blas.RoundBF16(s[i])
				}
			}
		}
		wantSmall := make([]float64, len(small))
		wantBig := make([]float64, len(big))
		wantW := make([]float64, len(w))
		for b := 0; b < tc.b; b++ {
			for oy := 0; oy < g.Ho; oy++ {
				for ox := 0; ox < g.Wo; ox++ {
					for ky := 0; ky < tc.k; ky++ {
						for kx := 0; kx < tc.k; kx++ {
							iy, ix := oy*tc.s-tc.p+ky, ox*tc.s-tc.p+kx
							if iy < 0 || iy >= tc.h || ix < 0 || ix >= tc.w {
								continue
							}
							for ci := 0; ci < tc.c; ci++ {
								for co := 0; co < tc.cs; co++ {
									wv := float64(w[((ky*tc.k+kx)*tc.c+ci)*tc.cs+co])
									bi := ((b*tc.h+iy)*tc.w+ix)*tc.c + ci
									si := ((b*g.Ho+oy)*g.Wo+ox)*tc.cs + co
									wantSmall[si] += float64(big[bi]) * wv
									wantBig[bi] += float64(small[si]) * wv
									wantW[((ky*tc.k+kx)*tc.c+ci)*tc.cs+co] += float64(big[bi]) * float64(small[si])
								}
							}
						}
					}
				}
			}
		}
		for i := range wantSmall {
			if math.Abs(wantSmall[i]-float64(gotSmall[i])) > 1e-4 {
				t.Fatalf("%+v: conv[%d] = %v, want %v", tc, i, gotSmall[i], wantSmall[i])
			}
		}
		for i := range wantBig {
			if math.Abs(wantBig[i]-float64(gotBig[i])) > 1e-4 {
				t.Fatalf("%+v: convT[%d] = %v, want %v", tc, i, gotBig[i], wantBig[i])
			}
		}
		for i := range wantW {
			if math.Abs(wantW[i]-float64(gotW[i])) > 1e-4 {
				t.Fatalf("%+v: filterGrad[%d] = %v, want %v", tc, i, gotW[i], wantW[i])
			}
		}
	}
}

func randSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	return s
}

// BenchmarkGeom times the products of the default 64×64 DCGAN's layers at batch 64 and 128 (the
// D step of a batch-64 step runs its layers at 128): convolution, transposed convolution and weight gradient, in both
// precisions, through im2col and per-tile products (gemm) and through the convolution library
// (lib: the same as gemm in builds without one).
// go test -tags openblas -run '^$' -bench Geom ./internal/nn
func BenchmarkGeom(b *testing.B) {
	for _, l := range []struct {
		name                    string
		b, h, w, c, cs, k, s, p int
	}{
		{"b64/64x1-32x32", 64, 64, 64, 1, 32, 4, 2, 1},
		{"b64/32x32-16x64", 64, 32, 32, 32, 64, 4, 2, 1},
		{"b64/16x64-8x128", 64, 16, 16, 64, 128, 4, 2, 1},
		{"b64/8x128-4x256", 64, 8, 8, 128, 256, 4, 2, 1},
		{"b128/64x1-32x32", 128, 64, 64, 1, 32, 4, 2, 1},
		{"b128/32x32-16x64", 128, 32, 32, 32, 64, 4, 2, 1},
		{"b128/16x64-8x128", 128, 16, 16, 64, 128, 4, 2, 1},
		{"b128/8x128-4x256", 128, 8, 8, 128, 256, 4, 2, 1},
	} {
		g, err := newGeom(l.b, l.h, l.w, l.c, l.cs, l.k, l.s, l.p)
		if err != nil {
			b.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(1, 1))
		big := randSlice(rng, l.b*g.bigLen())
		w := randSlice(rng, g.kkc()*l.cs)
		small := randSlice(rng, l.b*g.smallRows()*l.cs)
		dw := make([]float32, len(w))
		for _, op := range []struct {
			name string
			f    func(Precision)
		}{
			{"conv", func(p Precision) { g.conv(p, big, w, small, blas.ConvCopies{}) }},
			{"convT", func(p Precision) { g.convT(p, small, w, big, blas.ConvCopies{}) }},
			{"filterGrad", func(p Precision) { g.filterGrad(p, big, small, dw, blas.ConvCopies{}) }},
		} {
			for _, v := range []struct {
				name string
				p    Precision
				lib  bool
			}{{"fp32/gemm", FP32, false}, {"fp32/lib", FP32, true}, {"bf16/gemm", BF16, false}, {"bf16/lib", BF16, true}} {
				b.Run(l.name+"/"+op.name+"/"+v.name, func(b *testing.B) {
					defer func() { convLib = true }()
					convLib = v.lib
					op.f(v.p)
					cpu0 := sysinfo.CPUTime()
					for b.Loop() {
						op.f(v.p)
					}
					cpu := (sysinfo.CPUTime() - cpu0).Seconds()
					b.ReportMetric(float64(g.flops())*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
					b.ReportMetric(cpu/float64(b.N)*1e3, "cpu-ms/op")
				})
			}
		}
	}
}
