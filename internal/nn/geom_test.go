package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestConvMatchesDirectLoops checks the im2col+GEMM convolution and the gather col2im transposed
// convolution against the textbook loops (the gradient tests only check them against each other).
func TestConvMatchesDirectLoops(t *testing.T) {
	for _, tc := range []struct{ b, h, w, c, cs, k, s, p int }{
		{2, 8, 8, 3, 5, 4, 2, 1},
		{1, 7, 6, 1, 2, 3, 1, 1},
		{3, 4, 4, 4, 2, 4, 1, 0},
		{2, 9, 9, 2, 3, 3, 2, 0},
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
