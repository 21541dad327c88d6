//go:build openblas && cgo

package nn

/*
#cgo CFLAGS: -O3
#cgo LDFLAGS: -lm
// Same float32 operations in the same order as the Go loops of kern.go: no contraction into
// fused multiply-adds, so the results are bit for bit those of the Go loops. The loops run over
// channels (the contiguous axis), which the compiler vectorises; target_clones picks AVX-512,
// AVX2 or SSE2 code when the program starts.
#pragma GCC optimize ("fp-contract=off", "tree-vectorize")
#include <stdint.h>
#include <string.h>
#include <math.h>
#include <immintrin.h>
#include "bf16.h"

#define KERN __attribute__((target_clones("avx512f", "avx2", "default")))

static inline float signbit01(float v) {
	uint32_t u;
	memcpy(&u, &v, 4);
	return (float)(u >> 31);
}

KERN static void k_sums(const float *restrict x, long c, long rows, float *restrict acc) {
	for (long r = 0; r < rows; r++) {
		const float *xs = x + r * c;
		for (long j = 0; j < c; j++) acc[j] += xs[j];
	}
}

KERN static void k_sqdev(const float *restrict x, long c, long rows, const float *restrict mean, float *restrict acc) {
	for (long r = 0; r < rows; r++) {
		const float *xs = x + r * c;
		for (long j = 0; j < c; j++) {
			float d = xs[j] - mean[j];
			acc[j] += d * d;
		}
	}
}

KERN static void k_affine(const float *restrict x, float *restrict y, long c, long rows,
		const float *restrict a, const float *restrict b, int act, float al) {
	for (long r = 0; r < rows; r++) {
		const float *xs = x + r * c;
		float *ys = y + r * c;
		if (!act) {
			for (long j = 0; j < c; j++) ys[j] = xs[j] * a[j] + b[j];
			continue;
		}
		for (long j = 0; j < c; j++) {
			float u = xs[j] * a[j] + b[j];
			ys[j] = u * (1 - (1 - al) * signbit01(u));
		}
	}
}

KERN static void k_bias_leaky(const float *restrict x, float *restrict y, long c, long rows, const float *restrict b, float a) {
	for (long r = 0; r < rows; r++) {
		const float *xs = x + r * c;
		float *ys = y + r * c;
		for (long j = 0; j < c; j++) {
			float u = xs[j] + b[j];
			ys[j] = u * (1 - (1 - a) * signbit01(u));
		}
	}
}

KERN static void k_bias_act_grad(const float *restrict y, const float *restrict dy, float *restrict dx, long c, long rows,
		float *restrict acc, float a, int tanh_) {
	for (long r = 0; r < rows; r++) {
		const float *ys = y + r * c, *ds = dy + r * c;
		float *out = dx + r * c;
		if (tanh_) {
			for (long j = 0; j < c; j++) {
				float d = ds[j] * (1 - ys[j] * ys[j]);
				out[j] = d;
				acc[j] += d;
			}
			continue;
		}
		for (long j = 0; j < c; j++) {
			float pos = 1 - signbit01(ys[j]);
			float d = ds[j] * (a + (1 - a) * pos);
			out[j] = d;
			acc[j] += d;
		}
	}
}

KERN static void k_bn_grad_sums(const float *restrict x, const float *restrict dy, const float *restrict y, float *restrict dyact,
		long c, long rows, const float *restrict mean, const float *restrict invstd, float al,
		float *restrict acc, float *restrict accx) {
	for (long r = 0; r < rows; r++) {
		const float *xs = x + r * c, *ds = dy + r * c;
		if (y) {
			const float *ys = y + r * c;
			float *out = dyact + r * c;
			for (long j = 0; j < c; j++) {
				float pos = 1 - signbit01(ys[j]);
				float d = ds[j] * (al + (1 - al) * pos);
				out[j] = d;
				acc[j] += d;
				accx[j] += d * (xs[j] - mean[j]) * invstd[j];
			}
			continue;
		}
		for (long j = 0; j < c; j++) {
			float d = ds[j];
			acc[j] += d;
			accx[j] += d * (xs[j] - mean[j]) * invstd[j];
		}
	}
}

KERN static void k_bn_grad_dx(const float *restrict x, const float *restrict dy, float *restrict dx, long c, long rows,
		const float *restrict k, const float *restrict mean, const float *restrict invstd,
		const float *restrict gs, const float *restrict gxs, float invN) {
	for (long r = 0; r < rows; r++) {
		const float *xs = x + r * c, *ds = dy + r * c;
		float *out = dx + r * c;
		for (long j = 0; j < c; j++) {
			float xh = (xs[j] - mean[j]) * invstd[j];
			out[j] = k[j] * (ds[j] - gs[j] * invN - xh * gxs[j] * invN);
		}
	}
}

typedef struct {
	long H, W, C, Ho, Wo, K, S, P;
} geo;

// k_col2im: geom.goCol2im for one sample b (cols holds the batch's im2col rows from r0).
KERN static void k_col2im(const geo *g, const int64_t *yspan, const int64_t *xspan, const float *restrict cols, float *restrict big, long b, long r0) {
	long c = g->C, rowLen = g->K * g->K * c, kc = g->K * c;
	float *out = big + b * g->H * g->W * c;
	for (long iy = 0; iy < g->H; iy++) {
		long oy0 = yspan[2 * iy], oy1 = yspan[2 * iy + 1];
		for (long ix = 0; ix < g->W; ix++) {
			long ox0 = xspan[2 * ix], ox1 = xspan[2 * ix + 1];
			if (c == 1) {
				float s = 0;
				for (long oy = oy0; oy <= oy1; oy++) {
					long base = ((b * g->Ho + oy) * g->Wo - r0) * rowLen + (iy + g->P - oy * g->S) * kc + ix + g->P;
					for (long ox = ox0; ox <= ox1; ox++) s += cols[base + ox * (rowLen - g->S)];
				}
				out[iy * g->W + ix] = s;
				continue;
			}
			float *dst = out + (iy * g->W + ix) * c;
			const float *t[64]; // maxTaps
			long n = 0;
			for (long oy = oy0; oy <= oy1; oy++) {
				long base = ((b * g->Ho + oy) * g->Wo - r0) * rowLen + (iy + g->P - oy * g->S) * kc + (ix + g->P) * c;
				for (long ox = ox0; ox <= ox1; ox++) t[n++] = cols + base + ox * (rowLen - g->S * c);
			}
			switch (n) {
			case 0:
				memset(dst, 0, c * sizeof(float));
				break;
			case 1:
				memcpy(dst, t[0], c * sizeof(float));
				break;
			case 2: {
				const float *restrict a = t[0], *restrict bb = t[1];
				for (long j = 0; j < c; j++) dst[j] = a[j] + bb[j];
				break;
			}
			case 4: {
				const float *restrict a = t[0], *restrict bb = t[1], *restrict cc = t[2], *restrict d = t[3];
				for (long j = 0; j < c; j++) dst[j] = a[j] + bb[j] + cc[j] + d[j];
				break;
			}
			default: {
				const float *restrict a = t[0], *restrict bb = t[1];
				for (long j = 0; j < c; j++) dst[j] = a[j] + bb[j];
				for (long i = 2; i < n; i++) {
					const float *restrict s = t[i];
					for (long j = 0; j < c; j++) dst[j] += s[j];
				}
			}
			}
		}
	}
}

// tanh32 and k_bias_tanh: kern.go's tanh32 and goBiasTanh, same operations in the same order.
static inline float tanh32(float x) {
	const float clamp = 7.90531110763549805f, tiny = 0.0004f;
	float xc = x > clamp ? clamp : (x < -clamp ? -clamp : x);
	float x2 = xc * xc;
	float p = -2.76076847742355e-16f * x2 + 2.00018790482477e-13f;
	p = p * x2 + -8.60467152213735e-11f;
	p = p * x2 + 5.12229709037114e-08f;
	p = p * x2 + 1.48572235717979e-05f;
	p = p * x2 + 6.37261928875436e-04f;
	p = p * x2 + 4.89352455891786e-03f;
	p = p * xc;
	float q = 1.19825839466702e-06f * x2 + 1.18534705686654e-04f;
	q = q * x2 + 2.26843463243900e-03f;
	q = q * x2 + 4.89352518554385e-03f;
	float r = p / q;
	return (x < tiny && x > -tiny) ? x : r;
}

KERN static void k_bias_tanh(const float *restrict x, float *restrict y, long c, long rows, const float *restrict b) {
	if (c == 1) { // an image's one channel: vectorise along the rows
		const float b0 = b[0];
		for (long r = 0; r < rows; r++) y[r] = tanh32(x[r] + b0);
		return;
	}
	for (long r = 0; r < rows; r++) {
		const float *xs = x + r * c;
		float *ys = y + r * c;
		for (long j = 0; j < c; j++) ys[j] = tanh32(xs[j] + b[j]);
	}
}

KERN static void k_moving_avg(float *restrict avg, const float *restrict w, long n, float d) {
	const float omd = 1 - d;
	for (long j = 0; j < n; j++) avg[j] = d * avg[j] + omd * w[j];
}

// k_adam: kern.go's goAdam. gcc vectorises sqrtf only with -fno-math-errno, which cgo does not
// accept (and which "#pragma GCC optimize" does not turn on), so the AVX-512 loop is written with
// intrinsics; the square root and the division are IEEE-exact in both, as in Go.
__attribute__((target("avx512f")))
static long k_adam512(float *restrict w, const float *restrict g, float *restrict m, float *restrict v, long n,
		float b1, float omb1, float b2, float omb2, float step, float sq, float eps) {
	__m512 vb1 = _mm512_set1_ps(b1), vomb1 = _mm512_set1_ps(omb1), vb2 = _mm512_set1_ps(b2), vomb2 = _mm512_set1_ps(omb2);
	__m512 vstep = _mm512_set1_ps(step), vsq = _mm512_set1_ps(sq), veps = _mm512_set1_ps(eps);
	long j = 0;
	for (; j + 16 <= n; j += 16) {
		__m512 gj = _mm512_loadu_ps(g + j);
		__m512 mj = _mm512_add_ps(_mm512_mul_ps(vb1, _mm512_loadu_ps(m + j)), _mm512_mul_ps(vomb1, gj));
		__m512 vj = _mm512_add_ps(_mm512_mul_ps(vb2, _mm512_loadu_ps(v + j)), _mm512_mul_ps(_mm512_mul_ps(vomb2, gj), gj));
		_mm512_storeu_ps(m + j, mj);
		_mm512_storeu_ps(v + j, vj);
		__m512 den = _mm512_add_ps(_mm512_div_ps(_mm512_sqrt_ps(vj), vsq), veps);
		_mm512_storeu_ps(w + j, _mm512_sub_ps(_mm512_loadu_ps(w + j), _mm512_div_ps(_mm512_mul_ps(vstep, mj), den)));
	}
	return j;
}

static void k_adam(float *restrict w, const float *restrict g, float *restrict m, float *restrict v, long n,
		float b1, float omb1, float b2, float omb2, float step, float sq, float eps) {
	long j = 0;
	if (__builtin_cpu_supports("avx512f")) j = k_adam512(w, g, m, v, n, b1, omb1, b2, omb2, step, sq, eps);
	for (; j < n; j++) {
		float gj = g[j];
		float mj = b1 * m[j] + omb1 * gj;
		float vj = b2 * v[j] + omb2 * gj * gj;
		m[j] = mj;
		v[j] = vj;
		w[j] -= step * mj / (sqrtf(vj) / sq + eps);
	}
}
// IM2COL defines k_im2col (geom.goIm2col for rows r0..r1) and its bfloat16 variants: rows of
// DST_T gathered from a map of SRC_T, COPY(d, s, n) moving one run of n values (a whole kernel row in one
// run where it lies inside the map).
#define IM2COL(name, SRC_T, DST_T, COPY) \
static void name(const geo *g, const SRC_T *restrict big, DST_T *restrict cols, long r0, long r1) { \
	long c = g->C, kc = g->K * c, rowLen = g->K * kc; \
	for (long r = r0; r < r1; r++) { \
		long ox = r % g->Wo, t = r / g->Wo, oy = t % g->Ho, b = t / g->Ho; \
		DST_T *dst = cols + (r - r0) * rowLen; \
		for (long ky = 0; ky < g->K; ky++) { \
			long iy = oy * g->S - g->P + ky; \
			DST_T *d = dst + ky * kc; \
			if (iy < 0 || iy >= g->H) { \
				memset(d, 0, kc * sizeof(DST_T)); \
				continue; \
			} \
			long rowBase = (b * g->H + iy) * g->W; \
			long ix0 = ox * g->S - g->P; \
			if (ix0 >= 0 && ix0 + g->K <= g->W) { \
				COPY(d, big + (rowBase + ix0) * c, kc); \
				continue; \
			} \
			for (long kx = 0; kx < g->K; kx++) { \
				long ix = ix0 + kx; \
				if (ix < 0 || ix >= g->W) memset(d + kx * c, 0, c * sizeof(DST_T)); \
				else COPY(d + kx * c, big + (rowBase + ix) * c, c); \
			} \
		} \
	} \
}

static inline void copy_f(float *d, const float *s, long n) { memcpy(d, s, n * sizeof(float)); }
static inline void copy_h(uint16_t *d, const uint16_t *s, long n) { memcpy(d, s, n * sizeof(uint16_t)); }
static inline void copy_fh(uint16_t *d, const float *s, long n) { k_bf16(s, d, n); }

IM2COL(k_im2col, float, float, copy_f)
IM2COL(k_im2col16, float, uint16_t, copy_fh) // rows in bfloat16, rounded as k_bf16 rounds
IM2COL(k_im2colh, uint16_t, uint16_t, copy_h) // from a map already in bfloat16

// The kernels whose output a bf16 convolution reads next, also writing its bfloat16 copy: a block
// of rows at a time, converted while it is still in the core's cache.
#define BF_BLOCK 2048
#define BF_BLOCKS(call) \
	long per = c >= BF_BLOCK ? 1 : BF_BLOCK / c; \
	for (long r = 0; r < rows; r += per) { \
		long n = rows - r < per ? rows - r : per; \
		call; \
		k_bf16(out + r * c, bf + r * c, n * c); \
	}

static void k_affine16(const float *x, float *out, long c, long rows, const float *a, const float *b, int act, float al, uint16_t *bf) {
	BF_BLOCKS(k_affine(x + r * c, out + r * c, c, n, a, b, act, al))
}

static void k_bias_leaky16(const float *x, float *out, long c, long rows, const float *b, float a, uint16_t *bf) {
	BF_BLOCKS(k_bias_leaky(x + r * c, out + r * c, c, n, b, a))
}

static void k_bias_tanh16(const float *x, float *out, long c, long rows, const float *b, uint16_t *bf) {
	BF_BLOCKS(k_bias_tanh(x + r * c, out + r * c, c, n, b))
}

static void k_bias_act_grad16(const float *y, const float *dy, float *out, long c, long rows, float *acc, float a, int tanh_, uint16_t *bf) {
	BF_BLOCKS(k_bias_act_grad(y + r * c, dy + r * c, out + r * c, c, n, acc, a, tanh_))
}

static void k_bn_grad_dx16(const float *x, const float *dy, float *out, long c, long rows, const float *k, const float *mean,
		const float *invstd, const float *gs, const float *gxs, float invN, uint16_t *bf) {
	BF_BLOCKS(k_bn_grad_dx(x + r * c, dy + r * c, out + r * c, c, n, k, mean, invstd, gs, gxs, invN))
}
*/
import "C"

import "unsafe"

const cKernels = true

func fp(s []float32) *C.float {
	if len(s) == 0 {
		return nil
	}
	return (*C.float)(unsafe.Pointer(&s[0]))
}

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

func kSums(x []float32, c, rows int, acc []float32) {
	if rows == 0 {
		return
	}
	_, _ = x[rows*c-1], acc[c-1]
	C.k_sums(fp(x), C.long(c), C.long(rows), fp(acc))
}

func kSqDev(x []float32, c, rows int, mean, acc []float32) {
	if rows == 0 {
		return
	}
	_, _, _ = x[rows*c-1], mean[c-1], acc[c-1]
	C.k_sqdev(fp(x), C.long(c), C.long(rows), fp(mean), fp(acc))
}

func kAffine(x, y []float32, c, rows int, a, b []float32, act bool, al float32) {
	if rows == 0 {
		return
	}
	_, _, _, _ = x[rows*c-1], y[rows*c-1], a[c-1], b[c-1]
	C.k_affine(fp(x), fp(y), C.long(c), C.long(rows), fp(a), fp(b), cbool(act), C.float(al))
}

func kBiasLeaky(x, y []float32, c, rows int, b []float32, a float32) {
	if rows == 0 {
		return
	}
	_, _, _ = x[rows*c-1], y[rows*c-1], b[c-1]
	C.k_bias_leaky(fp(x), fp(y), C.long(c), C.long(rows), fp(b), C.float(a))
}

func kBiasActGrad(y, dy, dx []float32, c, rows int, acc []float32, a float32, tanh bool) {
	if rows == 0 {
		return
	}
	_, _, _, _ = y[rows*c-1], dy[rows*c-1], dx[rows*c-1], acc[c-1]
	C.k_bias_act_grad(fp(y), fp(dy), fp(dx), C.long(c), C.long(rows), fp(acc), C.float(a), cbool(tanh))
}

func kBNGradSums(x, dy, y, dyAct []float32, c, rows int, mean, invstd []float32, al float32, acc, accx []float32) {
	if rows == 0 {
		return
	}
	_, _, _, _, _, _ = x[rows*c-1], dy[rows*c-1], mean[c-1], invstd[c-1], acc[c-1], accx[c-1]
	if y != nil {
		_, _ = y[rows*c-1], dyAct[rows*c-1]
	}
	C.k_bn_grad_sums(fp(x), fp(dy), fp(y), fp(dyAct), C.long(c), C.long(rows), fp(mean), fp(invstd), C.float(al), fp(acc), fp(accx))
}

func kBNGradDx(x, dy, dx []float32, c, rows int, k, mean, invstd, gs, gxs []float32, invN float32) {
	if rows == 0 {
		return
	}
	_, _, _, _, _, _, _, _ = x[rows*c-1], dy[rows*c-1], dx[rows*c-1], k[c-1], mean[c-1], invstd[c-1], gs[c-1], gxs[c-1]
	C.k_bn_grad_dx(fp(x), fp(dy), fp(dx), C.long(c), C.long(rows), fp(k), fp(mean), fp(invstd), fp(gs), fp(gxs), C.float(invN))
}

// bfp points at a bfloat16 buffer for C.
func bfp(s []uint16) *C.uint16_t { return (*C.uint16_t)(unsafe.Pointer(&s[0])) }

// The kernels that also write the bfloat16 copy of their output into bf (same length).

func kAffine16(x, y []float32, c, rows int, a, b []float32, act bool, al float32, bf []uint16) {
	if rows == 0 {
		return
	}
	_, _, _, _, _ = x[rows*c-1], y[rows*c-1], a[c-1], b[c-1], bf[rows*c-1]
	C.k_affine16(fp(x), fp(y), C.long(c), C.long(rows), fp(a), fp(b), cbool(act), C.float(al), bfp(bf))
}

func kBiasLeaky16(x, y []float32, c, rows int, b []float32, a float32, bf []uint16) {
	if rows == 0 {
		return
	}
	_, _, _, _ = x[rows*c-1], y[rows*c-1], b[c-1], bf[rows*c-1]
	C.k_bias_leaky16(fp(x), fp(y), C.long(c), C.long(rows), fp(b), C.float(a), bfp(bf))
}

func kBiasTanh16(x, y []float32, c, rows int, b []float32, bf []uint16) {
	if rows == 0 {
		return
	}
	_, _, _, _ = x[rows*c-1], y[rows*c-1], b[c-1], bf[rows*c-1]
	C.k_bias_tanh16(fp(x), fp(y), C.long(c), C.long(rows), fp(b), bfp(bf))
}

func kBiasActGrad16(y, dy, dx []float32, c, rows int, acc []float32, a float32, tanh bool, bf []uint16) {
	if rows == 0 {
		return
	}
	_, _, _, _, _ = y[rows*c-1], dy[rows*c-1], dx[rows*c-1], acc[c-1], bf[rows*c-1]
	C.k_bias_act_grad16(fp(y), fp(dy), fp(dx), C.long(c), C.long(rows), fp(acc), C.float(a), cbool(tanh), bfp(bf))
}

func kBNGradDx16(x, dy, dx []float32, c, rows int, k, mean, invstd, gs, gxs []float32, invN float32, bf []uint16) {
	if rows == 0 {
		return
	}
	_, _, _, _, _, _, _, _, _ = x[rows*c-1], dy[rows*c-1], dx[rows*c-1], k[c-1], mean[c-1], invstd[c-1], gs[c-1], gxs[c-1], bf[rows*c-1]
	C.k_bn_grad_dx16(fp(x), fp(dy), fp(dx), C.long(c), C.long(rows), fp(k), fp(mean), fp(invstd), fp(gs), fp(gxs), C.float(invN), bfp(bf))
}

// kIm2col16 is kIm2col writing bfloat16 bits.
func kIm2col16(g geom, big []float32, cols []uint16, r0, r1 int) {
	if r1 <= r0 {
		return
	}
	_ = cols[(r1-r0)*g.kkc()-1]
	cg := g.cgeo()
	C.k_im2col16(&cg, fp(big), bfp(cols), C.long(r0), C.long(r1))
}

// kIm2colH is kIm2col on a map already in bfloat16.
func kIm2colH(g geom, big, cols []uint16, r0, r1 int) {
	if r1 <= r0 {
		return
	}
	_, _ = cols[(r1-r0)*g.kkc()-1], big[g.B*g.bigLen()-1]
	cg := g.cgeo()
	C.k_im2colh(&cg, bfp(big), bfp(cols), C.long(r0), C.long(r1))
}

// kBF16 converts s to bfloat16 into d, as the kernels above do (for tests); soft picks the
// integer operations even where the CPU has the instruction.
func kBF16(s []float32, d []uint16, soft bool) {
	if len(s) == 0 {
		return
	}
	_ = d[len(s)-1]
	if soft {
		C.k_bf16_sw(fp(s), bfp(d), C.long(len(s)))
		return
	}
	C.k_bf16(fp(s), bfp(d), C.long(len(s)))
}

// cgeo is g's sizes in C's layout.
func (g geom) cgeo() C.geo {
	return C.geo{H: C.long(g.H), W: C.long(g.W), C: C.long(g.C), Ho: C.long(g.Ho), Wo: C.long(g.Wo),
		K: C.long(g.K), S: C.long(g.S), P: C.long(g.P)}
}

// maxTaps is the most (kernel tap, output position) pairs k_col2im gathers for one pixel.
const maxTaps = 64

func kCol2im(g geom, cols, big []float32, b, r0 int) {
	if t := (g.K + g.S - 1) / g.S; t*t > maxTaps || unsafe.Sizeof(int(0)) != 8 {
		g.goCol2im(cols, big, b, r0)
		return
	}
	_ = big[(b+1)*g.bigLen()-1]
	cg := g.cgeo()
	C.k_col2im(&cg, (*C.int64_t)(unsafe.Pointer(&g.ySpan[0])), (*C.int64_t)(unsafe.Pointer(&g.xSpan[0])), fp(cols), fp(big), C.long(b), C.long(r0))
}

func kIm2col(g geom, big, cols []float32, r0, r1 int) {
	if r1 <= r0 {
		return
	}
	_ = cols[(r1-r0)*g.kkc()-1]
	cg := g.cgeo()
	C.k_im2col(&cg, fp(big), fp(cols), C.long(r0), C.long(r1))
}

func kAdam(w, g, m, v []float32, k adamCoef) {
	n := len(w)
	if n == 0 {
		return
	}
	_, _, _ = g[n-1], m[n-1], v[n-1]
	C.k_adam(fp(w), fp(g), fp(m), fp(v), C.long(n), C.float(k.b1), C.float(k.omb1), C.float(k.b2), C.float(k.omb2),
		C.float(k.step), C.float(k.sq), C.float(k.eps))
}

func kMovingAvg(avg, w []float32, d float32) {
	n := len(avg)
	if n == 0 {
		return
	}
	_ = w[n-1]
	C.k_moving_avg(fp(avg), fp(w), C.long(n), C.float(d))
}

func kBiasTanh(x, y []float32, c, rows int, b []float32) {
	if rows == 0 {
		return
	}
	_, _, _ = x[rows*c-1], y[rows*c-1], b[c-1]
	C.k_bias_tanh(fp(x), fp(y), C.long(c), C.long(rows), fp(b))
}
