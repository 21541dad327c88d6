//go:build openblas && cgo

package nn

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/raysynth/raysynth/internal/blas"
)

// TestBF16KernelRounds checks the C kernels' float32 → bfloat16 conversion against
// blas.RoundBF16 (the AVX512_BF16 instruction's rounding) on ties, denormals, the largest
// finite values, infinities and NaNs, and on ordinary values.
func TestBF16KernelRounds(t *testing.T) {
	bits := []uint32{
		0, 0x80000000, 1, 0x807fffff, 0x00800000, 0x3f800000, 0x3f808000, 0x3f818000, 0x3f817fff,
		0xbf808000, 0x7f7fffff, 0xff7fffff, 0x7f800000, 0xff800000, 0x7fc00000, 0x7f800001, 0xffffffff,
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 1000 {
		bits = append(bits, math.Float32bits(float32(rng.NormFloat64()*math.Exp(rng.NormFloat64()*10))))
	}
	s := make([]float32, len(bits))
	for i, b := range bits {
		s[i] = math.Float32frombits(b)
	}
	for _, soft := range []bool{false, true} {
		d := make([]uint16, len(s))
		kBF16(s, d, soft)
		for i, v := range s {
			if want := uint16(math.Float32bits(blas.RoundBF16(v)) >> 16); d[i] != want {
				t.Errorf("soft=%v: bf16 of %#08x = %#04x, want %#04x", soft, bits[i], d[i], want)
			}
		}
	}
}

// TestKernels16MatchKernels checks that the kernels that also write a bfloat16 copy compute the
// same float32 bits as the plain ones, and a copy equal to converting their output, across
// several blocks of rows.
func TestKernels16MatchKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range []int{1, 3, 16, 64} {
		rows := 3000
		n := rows * c
		x, y, dy := kernData(rng, n), kernData(rng, n), kernData(rng, n)
		a, b, m, is := kernData(rng, c), kernData(rng, c), kernData(rng, c), kernData(rng, c)
		gs, gxs, acc0 := kernData(rng, c), kernData(rng, c), kernData(rng, c)
		check := func(name string, got, want []float32, bf []uint16) {
			t.Helper()
			sameBits(t, name, got, want)
			conv := make([]uint16, len(want))
			kBF16(want, conv, false)
			if !slices.Equal(bf, conv) {
				t.Errorf("c=%d %s: the bf16 copy differs from converting the output", c, name)
			}
		}
		for _, act := range []bool{false, true} {
			got, want, bf := make([]float32, n), make([]float32, n), make([]uint16, n)
			kAffine16(x, got, c, rows, a, b, act, 0.2, bf)
			kAffine(x, want, c, rows, a, b, act, 0.2)
			check("affine", got, want, bf)
		}
		got, want, bf := make([]float32, n), make([]float32, n), make([]uint16, n)
		kBiasLeaky16(x, got, c, rows, b, 0.2, bf)
		kBiasLeaky(x, want, c, rows, b, 0.2)
		check("biasLeaky", got, want, bf)

		got, want, bf = make([]float32, n), make([]float32, n), make([]uint16, n)
		kBiasTanh16(x, got, c, rows, b, bf)
		kBiasTanh(x, want, c, rows, b)
		check("biasTanh", got, want, bf)

		for _, tanh := range []bool{false, true} {
			got, want, bf = make([]float32, n), make([]float32, n), make([]uint16, n)
			gacc, wacc := slices.Clone(acc0), slices.Clone(acc0)
			kBiasActGrad16(y, dy, got, c, rows, gacc, 0.2, tanh, bf)
			kBiasActGrad(y, dy, want, c, rows, wacc, 0.2, tanh)
			check("biasActGrad", got, want, bf)
			sameBits(t, "biasActGrad sums", gacc, wacc)
		}

		got, want, bf = make([]float32, n), make([]float32, n), make([]uint16, n)
		kBNGradDx16(x, dy, got, c, rows, a, m, is, gs, gxs, 1.0/37, bf)
		kBNGradDx(x, dy, want, c, rows, a, m, is, gs, gxs, 1.0/37)
		check("bnGradDx", got, want, bf)
	}
}
