//go:build dnnl && cgo

package blas

/*
#cgo LDFLAGS: -ldnnl -lgomp
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cpuid.h>
#include <immintrin.h>
#include <oneapi/dnnl/dnnl.h>

extern void omp_set_num_threads(int);

#include "dnnl_shared.h"
static int rs_hw_bf16; // the CPU converts and multiplies bf16 in hardware (AVX512_BF16)

typedef struct {
	dnnl_primitive_t prim;
	dnnl_memory_desc_t a_md, b_md, c_md, s_md;
	size_t scratch;
} rs_mm;

typedef struct {
	dnnl_stream_t stream;
	void *scratch; size_t scratch_cap;
	uint16_t *a16; size_t a_cap;
	uint16_t *b16; size_t b_cap;
} rs_ctx;

static int rs_init(void) {
	unsigned a = 0, b = 0, c = 0, d = 0;
	if (__get_cpuid_count(7, 1, &a, &b, &c, &d) && (a & (1u << 5)))
		rs_hw_bf16 = (dnnl_get_effective_cpu_isa() & dnnl_cpu_isa_avx512_core_bf16) == dnnl_cpu_isa_avx512_core_bf16;
	return rs_engine_init();
}

// rs_engine is the process's one oneDNN CPU engine, shared with the convolutions (dnnl_conv.go).
dnnl_engine_t rs_engine;

int rs_engine_init(void) {
	static int made, st;
	if (!made) {
		st = dnnl_engine_create(&rs_engine, dnnl_cpu, 0);
		made = 1;
	}
	return st;
}

static int rs_isa(void) { return (int)dnnl_get_effective_cpu_isa(); }
static int rs_hw(void) { return rs_hw_bf16; }

// Round to nearest even, denormals to signed zero: what VCVTNEPS2BF16 does.
static inline uint16_t rs_bf16(float f) {
	uint32_t u; memcpy(&u, &f, 4);
	if ((u & 0x7f800000u) == 0x7f800000u) {
		if (u & 0x007fffffu) u |= 0x00400000u;
		return (uint16_t)(u >> 16);
	}
	if ((u & 0x7f800000u) == 0) return (uint16_t)((u >> 16) & 0x8000u);
	u += 0x7fffu + ((u >> 16) & 1u);
	return (uint16_t)(u >> 16);
}

__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
static void rs_cvt_hw(const float *s, uint16_t *d, int64_t n) {
	int64_t i = 0;
	for (; i + 32 <= n; i += 32) {
		__m512bh r = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(s + i + 16), _mm512_loadu_ps(s + i));
		_mm512_storeu_si512((void *)(d + i), (__m512i)r);
	}
	for (; i + 16 <= n; i += 16) {
		__m256bh r = _mm512_cvtneps_pbh(_mm512_loadu_ps(s + i));
		_mm256_storeu_si256((void *)(d + i), (__m256i)r);
	}
	for (; i < n; i++) d[i] = rs_bf16(s[i]);
}

// rs_cvt converts rows×cols floats (row stride ld) into a dense bf16 matrix.
static void rs_cvt(const float *s, int64_t ld, int64_t rows, int64_t cols, uint16_t *d) {
	for (int64_t r = 0; r < rows; r++) {
		const float *sr = s + r * ld;
		uint16_t *dr = d + r * cols;
		if (rs_hw_bf16) {
			rs_cvt_hw(sr, dr, cols);
		} else {
			for (int64_t j = 0; j < cols; j++) dr[j] = rs_bf16(sr[j]);
		}
	}
}

static int rs_mm_create(rs_mm **out, int64_t m, int64_t n, int64_t k, int ta, int tb, int64_t ldc, float alpha, float beta) {
	omp_set_num_threads(1);
	rs_mm *mm = calloc(1, sizeof *mm);
	dnnl_dims_t ad = {m, k}, as = {ta ? 1 : k, ta ? m : 1};
	dnnl_dims_t bd = {k, n}, bs = {tb ? 1 : n, tb ? k : 1};
	dnnl_dims_t cd = {m, n}, cs = {ldc, 1};
	int st;
	if ((st = dnnl_memory_desc_init_by_strides(&mm->a_md, 2, ad, dnnl_bf16, as))) goto fail;
	if ((st = dnnl_memory_desc_init_by_strides(&mm->b_md, 2, bd, dnnl_bf16, bs))) goto fail;
	if ((st = dnnl_memory_desc_init_by_strides(&mm->c_md, 2, cd, dnnl_f32, cs))) goto fail;
	dnnl_matmul_desc_t md;
	if ((st = dnnl_matmul_desc_init(&md, &mm->a_md, &mm->b_md, NULL, &mm->c_md))) goto fail;
	dnnl_primitive_attr_t attr;
	if ((st = dnnl_primitive_attr_create(&attr))) goto fail;
	dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
	if (alpha != 1) dnnl_primitive_attr_set_output_scales(attr, 1, 0, &alpha);
	if (beta != 0) {
		dnnl_post_ops_t po;
		dnnl_post_ops_create(&po);
		dnnl_post_ops_append_sum(po, beta);
		dnnl_primitive_attr_set_post_ops(attr, po);
		dnnl_post_ops_destroy(po);
	}
	dnnl_primitive_desc_t pd;
	st = dnnl_primitive_desc_create(&pd, &md, attr, rs_engine, NULL);
	dnnl_primitive_attr_destroy(attr);
	if (st) goto fail;
	mm->s_md = *dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
	mm->scratch = dnnl_memory_desc_get_size(&mm->s_md);
	st = dnnl_primitive_create(&mm->prim, pd);
	dnnl_primitive_desc_destroy(pd);
	if (st) goto fail;
	*out = mm;
	return 0;
fail:
	free(mm);
	return st ? st : -1;
}

static int rs_ctx_new(rs_ctx **out) { return rs_ctx_make((void **)out, sizeof **out); }


// rs_mm_exec runs the product on A and B already converted (dense bf16, as the primitive expects
// them).
static int rs_mm_exec(rs_mm *mm, rs_ctx *cx, const uint16_t *a16, const uint16_t *b16, float *c) {
	omp_set_num_threads(1);
	if (rs_grow(&cx->scratch, &cx->scratch_cap, mm->scratch)) return -1;
	dnnl_memory_t am, bm, cm, sm = NULL;
	dnnl_memory_create(&am, &mm->a_md, rs_engine, (void *)a16);
	dnnl_memory_create(&bm, &mm->b_md, rs_engine, (void *)b16);
	dnnl_memory_create(&cm, &mm->c_md, rs_engine, c);
	dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, bm}, {DNNL_ARG_DST, cm}, {0, NULL}};
	int nargs = 3;
	if (mm->scratch) {
		dnnl_memory_create(&sm, &mm->s_md, rs_engine, cx->scratch);
		args[3].arg = DNNL_ARG_SCRATCHPAD;
		args[3].memory = sm;
		nargs = 4;
	}
	int st = dnnl_primitive_execute(mm->prim, cx->stream, nargs, args);
	if (!st) st = dnnl_stream_wait(cx->stream);
	dnnl_memory_destroy(am);
	dnnl_memory_destroy(bm);
	dnnl_memory_destroy(cm);
	if (sm) dnnl_memory_destroy(sm);
	return st;
}

// rs_mm_run_b16 is rs_mm_run with B already converted.
static int rs_mm_run_b16(rs_mm *mm, rs_ctx *cx, int64_t m, int64_t n, int64_t k, int ta,
		const float *a, int64_t lda, const uint16_t *b16, float *c) {
	if (rs_grow((void **)&cx->a16, &cx->a_cap, (size_t)(m * k) * 2)) return -1;
	if (ta) rs_cvt(a, lda, k, m, cx->a16); else rs_cvt(a, lda, m, k, cx->a16);
	return rs_mm_exec(mm, cx, cx->a16, b16, c);
}

// rs_mm_run_a16 is rs_mm_run with A already converted, and B too when b16 is not NULL.
static int rs_mm_run_a16(rs_mm *mm, rs_ctx *cx, int64_t n, int64_t k, int tb,
		const uint16_t *a16, const float *b, int64_t ldb, const uint16_t *b16, float *c) {
	if (!b16) {
		if (rs_grow((void **)&cx->b16, &cx->b_cap, (size_t)(k * n) * 2)) return -1;
		if (tb) rs_cvt(b, ldb, n, k, cx->b16); else rs_cvt(b, ldb, k, n, cx->b16);
		b16 = cx->b16;
	}
	return rs_mm_exec(mm, cx, a16, b16, c);
}

static int rs_mm_run(rs_mm *mm, rs_ctx *cx, int64_t m, int64_t n, int64_t k, int ta, int tb,
		const float *a, int64_t lda, const float *b, int64_t ldb, float *c) {
	if (rs_grow((void **)&cx->b16, &cx->b_cap, (size_t)(k * n) * 2)) return -1;
	if (tb) rs_cvt(b, ldb, n, k, cx->b16); else rs_cvt(b, ldb, k, n, cx->b16);
	return rs_mm_run_b16(mm, cx, m, n, k, ta, a, lda, cx->b16, c);
}
*/
import "C"

import (
	"fmt"
	"unsafe"
)

var dnnl struct {
	initErr error
	prims   primCache[mmKey, C.rs_mm] // nil: oneDNN has no bf16 matmul for this shape here
	ctxs    ctxPool[C.rs_ctx]
}

type mmKey struct {
	m, n, k, ldc int
	ta, tb       bool
	alpha, beta  float32
}

func init() {
	if st := C.rs_init(); st != 0 {
		dnnl.initErr = fmt.Errorf("blas: oneDNN engine: status %d", int(st))
	}
	dnnl.ctxs.create = func() (*C.rs_ctx, int) {
		var c *C.rs_ctx
		return c, int(C.rs_ctx_new(&c))
	}
}

// HasBF16 reports whether bfloat16 products run at hardware speed: oneDNN is compiled in and
// the CPU has AVX512_BF16 (or AMX).
func HasBF16() bool { return dnnl.initErr == nil && C.rs_hw() != 0 }

// BF16Backend names the implementation of [GemmBF16] compiled into this binary.
func BF16Backend() string {
	v := C.dnnl_version()
	s := fmt.Sprintf("oneDNN %d.%d.%d", int(v.major), int(v.minor), int(v.patch))
	if !HasBF16() {
		return s + " (no AVX512_BF16 on this CPU: emulated, slower than float32)"
	}
	return s + " (AVX512_BF16)"
}

func b2i(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// primitive returns the cached oneDNN matmul for one shape, creating it on first use.
func primitive(key mmKey) *C.rs_mm {
	return dnnl.prims.get(key, func(key mmKey) *C.rs_mm {
		var mm *C.rs_mm
		if C.rs_mm_create(&mm, C.int64_t(key.m), C.int64_t(key.n), C.int64_t(key.k), b2i(key.ta), b2i(key.tb),
			C.int64_t(key.ldc), C.float(key.alpha), C.float(key.beta)) != 0 {
			return nil
		}
		return mm
	})
}

func gemmBF16(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	var mm *C.rs_mm
	if dnnl.initErr == nil && k > 0 {
		mm = primitive(mmKey{m: m, n: n, k: k, ldc: ldc, ta: transA, tb: transB, alpha: alpha, beta: beta})
	}
	if mm == nil {
		refGemmBF16(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	cx := dnnl.ctxs.get()
	st := C.rs_mm_run(mm, cx, C.int64_t(m), C.int64_t(n), C.int64_t(k), b2i(transA), b2i(transB),
		(*C.float)(unsafe.Pointer(&a[0])), C.int64_t(lda), (*C.float)(unsafe.Pointer(&b[0])), C.int64_t(ldb),
		(*C.float)(unsafe.Pointer(&c[0])))
	dnnl.ctxs.put(cx)
	if st != 0 {
		panic(fmt.Sprintf("blas: oneDNN bf16 matmul %d×%d×%d: status %d", m, n, k, int(st)))
	}
}

func toBF16(s []float32, ld, rows, cols int, d []uint16) {
	C.rs_cvt((*C.float)(unsafe.Pointer(&s[0])), C.int64_t(ld), C.int64_t(rows), C.int64_t(cols), (*C.uint16_t)(unsafe.Pointer(&d[0])))
}

func gemmBF16B(transA bool, m, n, k int, a []float32, lda int, b *BF16Matrix, beta float32, c []float32, ldc int) {
	var mm *C.rs_mm
	if dnnl.initErr == nil && k > 0 {
		mm = primitive(mmKey{m: m, n: n, k: k, ldc: ldc, ta: transA, tb: b.Trans, alpha: 1, beta: beta})
	}
	if mm == nil {
		refGemmBF16B(transA, m, n, k, a, lda, b, beta, c, ldc)
		return
	}
	cx := dnnl.ctxs.get()
	st := C.rs_mm_run_b16(mm, cx, C.int64_t(m), C.int64_t(n), C.int64_t(k), b2i(transA),
		(*C.float)(unsafe.Pointer(&a[0])), C.int64_t(lda), (*C.uint16_t)(unsafe.Pointer(&b.h[0])),
		(*C.float)(unsafe.Pointer(&c[0])))
	dnnl.ctxs.put(cx)
	if st != 0 {
		panic(fmt.Sprintf("blas: oneDNN bf16 matmul %d×%d×%d: status %d", m, n, k, int(st)))
	}
}

// gemmA16 runs a product whose op(A) is already bfloat16, op(B) from b16 when not nil or else
// converted from b.
func gemmA16(transA, transB bool, m, n, k int, a []uint16, b []float32, ldb int, b16 []uint16, beta float32, c []float32, ldc int) bool {
	if dnnl.initErr != nil || k == 0 {
		return false
	}
	mm := primitive(mmKey{m: m, n: n, k: k, ldc: ldc, ta: transA, tb: transB, alpha: 1, beta: beta})
	if mm == nil {
		return false
	}
	var bp *C.float
	var bh *C.uint16_t
	if b16 != nil {
		bh = (*C.uint16_t)(unsafe.Pointer(&b16[0]))
	} else {
		bp = (*C.float)(unsafe.Pointer(&b[0]))
	}
	cx := dnnl.ctxs.get()
	st := C.rs_mm_run_a16(mm, cx, C.int64_t(n), C.int64_t(k), b2i(transB), (*C.uint16_t)(unsafe.Pointer(&a[0])),
		bp, C.int64_t(ldb), bh, (*C.float)(unsafe.Pointer(&c[0])))
	dnnl.ctxs.put(cx)
	if st != 0 {
		panic(fmt.Sprintf("blas: oneDNN bf16 matmul %d×%d×%d: status %d", m, n, k, int(st)))
	}
	return true
}
