package nn

import (
	"math"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user plus system CPU time: on a shared machine it moves much less
// with other load than wall time does.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestConvMatchesDirectLoops checks the im2col+GEMM convolution and the gather col2im transposed
// convolution against the textbook loops (the gradient tests only check them against each other).
func TestConvMatchesDirectLoops(t *testing.T) {
	for _, tc := range []struct{ b, h, w, c, cs, k, s, p int }{
		{2, 8, 8, 3, 5, 4, 2, 1},
		{1, 7, 6, 1, 2, 3, 1, 1},
		{3, 4, 4, 4, 2, 4, 1, 0},
		{2, 9, 9, 2, 3, 3, 2, 0},
		{2, 9, 9, 2, 3, 5, 2, 2}, // up to 9 taps per pixel in col2im
		{2, 16, 16, 8, 4, 4, 2, 1},
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
		g.conv(FP32, big, w, gotSmall)
		gotBig := make([]float32, len(big))
		g.convT(FP32, small, w, gotBig)
		wantSmall := make([]float64, len(small))
		wantBig := make([]float64, len(big))
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
	}
}

func randSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	return s
}

// BenchmarkGeom times the products of the default 64×64 DCGAN's layers at batch 64 (the D step
// runs its layers at 128): convolution, transposed convolution and weight gradient.
// go test -tags openblas -run '^$' -bench Geom ./internal/nn
func BenchmarkGeom(b *testing.B) {
	for _, l := range []struct {
		name                    string
		b, h, w, c, cs, k, s, p int
	}{
		{"64x1-32x32", 128, 64, 64, 1, 32, 4, 2, 1},
		{"32x32-16x64", 128, 32, 32, 32, 64, 4, 2, 1},
		{"16x64-8x128", 128, 16, 16, 64, 128, 4, 2, 1},
		{"8x128-4x256", 128, 8, 8, 128, 256, 4, 2, 1},
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
			f    func()
		}{
			{"conv", func() { g.conv(FP32, big, w, small) }},
			{"convT", func() { g.convT(FP32, small, w, big) }},
			{"filterGrad", func() { g.filterGrad(FP32, big, small, dw) }},
		} {
			b.Run(l.name+"/"+op.name, func(b *testing.B) {
				op.f()
				cpu0 := cpuTime()
				for b.Loop() {
					op.f()
				}
				cpu := (cpuTime() - cpu0).Seconds()
				b.ReportMetric(float64(g.flops())*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				b.ReportMetric(cpu/float64(b.N)*1e3, "cpu-ms/op")
			})
		}
	}
}
