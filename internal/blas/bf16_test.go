package blas

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestRoundBF16(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   uint32
		want uint32
	}{
		{"exact", 0x3f800000, 0x3f800000},
		{"below half rounds down", 0x3f807fff, 0x3f800000},
		{"half to even stays even", 0x3f808000, 0x3f800000},
		{"half to even rounds up odd", 0x3f818000, 0x3f820000},
		{"above half rounds up", 0x3f808001, 0x3f810000},
		{"carry into exponent", 0x3fffffff, 0x40000000},
		{"largest finite overflows to inf", 0x7f7fffff, 0x7f800000},
		{"negative", 0xbf808001, 0xbf810000},
		{"inf", 0x7f800000, 0x7f800000},
		{"nan stays nan", 0x7f800001, 0x7fc00000},
		{"denormal flushes to zero", 0x00012345, 0x00000000},
		{"negative denormal to negative zero", 0x80012345, 0x80000000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := math.Float32bits(RoundBF16(math.Float32frombits(tc.in)))
			if got != tc.want {
				t.Fatalf("RoundBF16(%#08x) = %#08x, want %#08x", tc.in, got, tc.want)
			}
		})
	}
}

// TestGemmBF16 checks the bf16 product two ways: against a float64 product of the rounded
// inputs (tight: only the float32 accumulation differs) and against the float32 product of the
// unrounded inputs (within bfloat16's 8-bit mantissa).
func TestGemmBF16(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []gemmCase{
		{"NN", false, false, 7, 5, 3, 1, 0},
		{"TN", true, false, 6, 9, 4, 0.5, 1},
		{"NT", false, true, 3, 8, 11, 2, -1},
		{"TT", true, true, 10, 10, 10, 1, 0.25},
		{"conv shaped", false, false, 1024, 64, 512, 1, 0},
		{"weight grad shaped", true, false, 512, 64, 1024, 1, 1},
		{"odd sizes", false, true, 65, 130, 257, 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b, c, lda, ldb := tc.operands(r)
			ra := make([]float32, len(a))
			rb := make([]float32, len(b))
			for i := range a {
				ra[i] = RoundBF16(a[i])
			}
			for i := range b {
				rb[i] = RoundBF16(b[i])
			}
			exact := append([]float32(nil), c...)
			naive(tc.ta, tc.tb, tc.m, tc.n, tc.k, tc.alpha, ra, lda, rb, ldb, tc.beta, exact, tc.n)
			full := append([]float32(nil), c...)
			naive(tc.ta, tc.tb, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, full, tc.n)
			GemmBF16(tc.ta, tc.tb, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, c, tc.n)
			// Inputs in [-1,1): a sum of k products has size about √k; bf16 keeps 8 bits, so the
			// rounding error of the whole product is about √k·2⁻⁸ and float32 accumulation
			// about k·2⁻²⁴.
			bf16Tol := 4 * math.Sqrt(float64(tc.k)) * math.Abs(float64(tc.alpha)) / 256
			var worstFull float64
			for i := range c {
				if d := math.Abs(float64(c[i] - exact[i])); d > 1e-5*float64(tc.k) {
					t.Fatalf("c[%d] = %v, want %v from the rounded inputs (backend %s)", i, c[i], exact[i], BF16Backend())
				}
				worstFull = max(worstFull, math.Abs(float64(c[i]-full[i])))
			}
			if worstFull > bf16Tol {
				t.Fatalf("bf16 product differs from float32 by %g, more than bfloat16 rounding allows (%g)", worstFull, bf16Tol)
			}
			if tc.k >= 64 && worstFull == 0 {
				t.Fatalf("bf16 product equals the float32 one exactly: the inputs were not rounded")
			}
		})
	}
}

func BenchmarkGemmBF16512(b *testing.B) { benchGemm512(b, GemmBF16) }

// BenchmarkCeiling reports the side-by-side float32 and bf16 rates of a 1024³ product.
func BenchmarkCeiling(b *testing.B) {
	SetThreads(1)
	var c Ceiling
	for b.Loop() {
		c = MeasureCeiling(1024, 3)
	}
	b.ReportMetric(c.FP32GFLOPS, "fp32-GFLOP/s")
	b.ReportMetric(c.BF16GFLOPS, "bf16-GFLOP/s")
	b.ReportMetric(c.FP32CPUGFLOPS, "fp32-cpu-GFLOP/s")
	b.ReportMetric(c.BF16CPUGFLOPS, "bf16-cpu-GFLOP/s")
}

// TestGemmBF16B checks that a right-hand matrix rounded once (BF16Matrix) gives bit for bit the
// products GemmBF16 gives from the float32 matrix, in every transposition and with beta.
func TestGemmBF16B(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for _, tc := range []struct {
		m, n, k      int
		transA, trB  bool
		beta         float32
		lda, ldb, ld int // extra columns in A, B and C as stored
	}{
		{37, 19, 53, false, false, 0, 0, 0, 0},
		{37, 19, 53, true, false, 0, 3, 0, 0},
		{64, 512, 32, false, true, 0, 0, 5, 0},
		{256, 64, 128, true, true, 1, 1, 2, 7},
		{1, 1, 1, false, false, 0.5, 0, 0, 0},
	} {
		ar, ac := tc.m, tc.k
		if tc.transA {
			ar, ac = tc.k, tc.m
		}
		br, bc := tc.k, tc.n
		if tc.trB {
			br, bc = tc.n, tc.k
		}
		lda, ldb, ldc := ac+tc.lda, bc+tc.ldb, tc.n+tc.ld
		a, b := make([]float32, ar*lda), make([]float32, br*ldb)
		for i := range a {
			a[i] = float32(rng.NormFloat64())
		}
		for i := range b {
			b[i] = float32(rng.NormFloat64())
		}
		c0 := make([]float32, tc.m*ldc)
		for i := range c0 {
			c0[i] = float32(rng.NormFloat64())
		}
		want := append([]float32(nil), c0...)
		GemmBF16(tc.transA, tc.trB, tc.m, tc.n, tc.k, 1, a, lda, b, ldb, tc.beta, want, ldc)
		var bm BF16Matrix
		bm.Set(tc.trB, tc.k, tc.n, b, ldb)
		got := append([]float32(nil), c0...)
		GemmBF16B(tc.transA, tc.m, tc.n, tc.k, a, lda, &bm, tc.beta, got, ldc)
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%+v: c[%d] = %v, GemmBF16 gives %v", tc, i, got[i], want[i])
			}
		}
	}
}
