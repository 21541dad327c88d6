// The float32 → bfloat16 rounding of this package's C kernels (kern_c.go, convt1_dnnl.go): what
// the AVX512_BF16 conversion, and so oneDNN's reorders, do: to nearest even, denormals to zero of
// the same sign, NaN kept (quiet). With AVX512_BF16 it is that instruction; otherwise integer
// operations that give the same bits.
#include <stdint.h>
#include <string.h>
#include <immintrin.h>

__attribute__((target_clones("avx512f", "avx2", "default")))
static void k_bf16_sw(const float *restrict s, uint16_t *restrict d, long n) {
	for (long i = 0; i < n; i++) {
		uint32_t u;
		memcpy(&u, s + i, 4);
		uint32_t e = u & 0x7f800000u;
		uint32_t r = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
		r = e == 0 ? (u >> 16) & 0x8000u : r;
		r = (e == 0x7f800000u && (u & 0x7fffffu) != 0) ? (u >> 16) | 0x40u : r;
		d[i] = (uint16_t)r;
	}
}

__attribute__((target("avx512f,avx512bf16")))
static void k_bf16_hw(const float *restrict s, uint16_t *restrict d, long n) {
	long i = 0;
	for (; i + 16 <= n; i += 16) {
		__m256bh h = _mm512_cvtneps_pbh(_mm512_loadu_ps(s + i));
		_mm256_storeu_si256((__m256i *)(d + i), (__m256i)h);
	}
	k_bf16_sw(s + i, d + i, n - i);
}

static void k_bf16(const float *restrict s, uint16_t *restrict d, long n) {
	if (__builtin_cpu_supports("avx512bf16")) k_bf16_hw(s, d, n);
	else k_bf16_sw(s, d, n);
}
