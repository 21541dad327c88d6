//go:build dnnl && cgo

package nn

/*
#cgo CFLAGS: -O3
#include <stdint.h>
#include <string.h>
#include <immintrin.h>
#include "bf16.h"

static int ct1_avx512(void) { return __builtin_cpu_supports("avx512f"); }

// ct1_scatter adds the 16 taps t of small pixel (oy, ox) to the one-channel output.
static inline void ct1_scatter(const float *t, float *out, long oy, long ox, long H, long W, long S, long P) {
	for (long ky = 0; ky < 4; ky++) {
		long iy = oy * S - P + ky;
		if (iy < 0 || iy >= H) continue;
		for (long kx = 0; kx < 4; kx++) {
			long ix = ox * S - P + kx;
			if (ix >= 0 && ix < W) out[iy * W + ix] += t[ky * 4 + kx];
		}
	}
}

// ct1_max_cs bounds Cs for the bf16 variant (its rounded copy of eight pixels is on the stack).
#define ct1_max_cs 512

// ct1_round copies n (at most 8·ct1_max_cs) floats of s to d rounded to bfloat16 as the other
// bf16 kernels round (bf16.h), kept as float32 with zero low bits: products of two of them are
// exact in float32.
static void ct1_round(const float *s, float *d, long n) {
	uint16_t h[8 * ct1_max_cs];
	k_bf16(s, h, n);
	for (long i = 0; i < n; i++) {
		uint32_t u = (uint32_t)h[i] << 16;
		memcpy(d + i, &u, 4);
	}
}

// ct1 computes samples [b0, b1) of a 4×4 transposed convolution onto one channel: for every
// small pixel the 16 taps (Cs-long dot products with wT, (Cs, 16) row-major), eight pixels at a
// time, added into the output in (oy, ox, ky, kx) order.
__attribute__((target("avx512f")))
static void ct1(const float *small, const float *wT, float *big, long b0, long b1,
		long H, long W, long Ho, long Wo, long Cs, long S, long P, int bf) {
	float t[8][16] __attribute__((aligned(64)));
	float r[8 * ct1_max_cs] __attribute__((aligned(64)));
	for (long b = b0; b < b1; b++) {
		float *out = big + b * H * W;
		const float *sm = small + b * Ho * Wo * Cs;
		memset(out, 0, H * W * sizeof(float));
		for (long oy = 0; oy < Ho; oy++) {
			long ox = 0;
			for (; ox + 8 <= Wo; ox += 8) {
				const float *s = sm + (oy * Wo + ox) * Cs;
				if (bf) {
					ct1_round(s, r, 8 * Cs);
					s = r;
				}
				__m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
				for (long c = 0; c < Cs; c++) {
					__m512 w = _mm512_loadu_ps(wT + c * 16);
					a0 = _mm512_fmadd_ps(_mm512_set1_ps(s[c]), w, a0);
					a1 = _mm512_fmadd_ps(_mm512_set1_ps(s[Cs + c]), w, a1);
					a2 = _mm512_fmadd_ps(_mm512_set1_ps(s[2 * Cs + c]), w, a2);
					a3 = _mm512_fmadd_ps(_mm512_set1_ps(s[3 * Cs + c]), w, a3);
					a4 = _mm512_fmadd_ps(_mm512_set1_ps(s[4 * Cs + c]), w, a4);
					a5 = _mm512_fmadd_ps(_mm512_set1_ps(s[5 * Cs + c]), w, a5);
					a6 = _mm512_fmadd_ps(_mm512_set1_ps(s[6 * Cs + c]), w, a6);
					a7 = _mm512_fmadd_ps(_mm512_set1_ps(s[7 * Cs + c]), w, a7);
				}
				_mm512_store_ps(t[0], a0);
				_mm512_store_ps(t[1], a1);
				_mm512_store_ps(t[2], a2);
				_mm512_store_ps(t[3], a3);
				_mm512_store_ps(t[4], a4);
				_mm512_store_ps(t[5], a5);
				_mm512_store_ps(t[6], a6);
				_mm512_store_ps(t[7], a7);
				for (long i = 0; i < 8; i++) ct1_scatter(t[i], out, oy, ox + i, H, W, S, P);
			}
			for (; ox < Wo; ox++) {
				const float *s = sm + (oy * Wo + ox) * Cs;
				if (bf) {
					ct1_round(s, r, Cs);
					s = r;
				}
				__m512 a0 = _mm512_setzero_ps();
				for (long c = 0; c < Cs; c++) a0 = _mm512_fmadd_ps(_mm512_set1_ps(s[c]), _mm512_loadu_ps(wT + c * 16), a0);
				_mm512_store_ps(t[0], a0);
				ct1_scatter(t[0], out, oy, ox, H, W, S, P);
			}
		}
	}
}
*/
import "C"

import (
	"unsafe"

	"github.com/raysynth/raysynth/internal/blas"
)

var ct1OK = C.ct1_avx512() != 0

// convT1 computes a 4×4 transposed convolution onto one channel (the generator's image layer
// and the discriminator's input gradient) directly: per small pixel the 16 taps as one AVX-512
// vector, added into the output. Through im2col it is a product with 16 columns and a col2im
// pass, which run at a fraction of the products' usual rate. In BF16 both inputs are rounded to
// bfloat16 first and the products accumulated in float32, the arithmetic of the other bf16
// products. Each sample is computed on its own in a fixed order, so the split over cores does not
// change results. It reports false (and writes nothing) where it does not apply.
func (g geom) convT1(p Precision, small, w, big []float32) bool {
	if !convLib || !ct1OK || g.C != 1 || g.K != 4 || (p == BF16 && g.Cs > C.ct1_max_cs) {
		return false
	}
	_, _ = small[g.B*g.smallRows()*g.Cs-1], big[g.B*g.bigLen()-1]
	wT := make([]float32, 16*g.Cs) // (Cs, 16): one vector of taps per channel
	for k := 0; k < 16; k++ {
		for c := 0; c < g.Cs; c++ {
			v := w[k*g.Cs+c]
			if p == BF16 {
				v = blas.RoundBF16(v)
			}
			wT[c*16+k] = v
		}
	}
	bf := C.int(0)
	if p == BF16 {
		bf = 1
	}
	parallel(g.B, func(lo, hi int) {
		C.ct1((*C.float)(unsafe.Pointer(&small[0])), (*C.float)(unsafe.Pointer(&wT[0])), (*C.float)(unsafe.Pointer(&big[0])),
			C.long(lo), C.long(hi), C.long(g.H), C.long(g.W), C.long(g.Ho), C.long(g.Wo), C.long(g.Cs), C.long(g.S), C.long(g.P), bf)
	})
	return true
}
