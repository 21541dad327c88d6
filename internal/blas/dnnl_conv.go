//go:build dnnl && cgo

package blas

/*
#cgo LDFLAGS: -ldnnl -lgomp
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <oneapi/dnnl/dnnl.h>

extern void omp_set_num_threads(int);

#include "dnnl_shared.h"

static int cv_init(void) { return rs_engine_init(); }

// cv_t is one convolution pass for one part of the batch (mb samples), created once per shape.
typedef struct {
	int pass, bf16;
	dnnl_primitive_t prim;
	dnnl_memory_desc_t big_u, small_u, w_u; // the caller's f32 layouts: nhwc, nhwc, hwio
	dnnl_memory_desc_t big_p, small_p, w_p; // what the primitive takes (bf16 inputs, blocked weights)
	dnnl_primitive_t re_w;                  // w_u → w_p (forward, backward data); w_p → w_u (backward weights)
	dnnl_primitive_t re_big, re_small;      // f32 → bf16 of an input (bf16 only)
	dnnl_memory_desc_t s_md;
	size_t scratch, wbytes, bigbytes, smallbytes, wubytes;
	char impl[64];
} cv_t;



// cv_create makes the primitive of one pass. Dims: big (mb, C, H, W), small (mb, Cs, Ho, Wo),
// weights (Cs, C, K, K). It fails (non-zero) when oneDNN has no implementation, or only its
// reference one.
static int cv_create(cv_t **out, int pass, int bf16, int64_t mb, int64_t h, int64_t w, int64_t c,
		int64_t ho, int64_t wo, int64_t cs, int64_t k, int64_t s, int64_t p) {
	omp_set_num_threads(1);
	cv_t *cv = calloc(1, sizeof *cv);
	cv->pass = pass;
	cv->bf16 = bf16;
	dnnl_data_type_t dt = bf16 ? dnnl_bf16 : dnnl_f32;
	dnnl_dims_t bd = {mb, c, h, w}, sd = {mb, cs, ho, wo}, wd = {cs, c, k, k};
	dnnl_dims_t str = {s, s}, pl = {p, p}, pr = {(ho - 1) * s + k - h - p, (wo - 1) * s + k - w - p};
	dnnl_memory_desc_t w_any, wf_any;
	dnnl_primitive_desc_t fpd = NULL, pd = NULL;
	dnnl_convolution_desc_t fd, d;
	dnnl_primitive_attr_t attr = NULL;
	int st;
	// our own scratchpad per running part: the library's default one is shared between primitives
	if ((st = dnnl_primitive_attr_create(&attr))) goto fail;
	if ((st = dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user))) goto fail;
	if ((st = dnnl_memory_desc_init_by_tag(&cv->big_u, 4, bd, dnnl_f32, dnnl_nhwc))) goto fail;
	if ((st = dnnl_memory_desc_init_by_tag(&cv->small_u, 4, sd, dnnl_f32, dnnl_nhwc))) goto fail;
	if ((st = dnnl_memory_desc_init_by_tag(&cv->w_u, 4, wd, dnnl_f32, dnnl_hwio))) goto fail;
	// inputs in the pass's precision, outputs always f32
	cv->big_p = cv->big_u;
	cv->small_p = cv->small_u;
	if (bf16 && pass != 1 && (st = dnnl_memory_desc_init_by_tag(&cv->big_p, 4, bd, dt, dnnl_nhwc))) goto fail;
	if (bf16 && pass != 0 && (st = dnnl_memory_desc_init_by_tag(&cv->small_p, 4, sd, dt, dnnl_nhwc))) goto fail;
	if ((st = dnnl_memory_desc_init_by_tag(&w_any, 4, wd, dt, dnnl_format_tag_any))) goto fail;
	if ((st = dnnl_memory_desc_init_by_tag(&wf_any, 4, wd, dnnl_f32, dnnl_format_tag_any))) goto fail;
	// the forward pass (also the hint the backward passes need), with inputs in the pass's precision
	dnnl_memory_desc_t fbig, fsmall = cv->small_u;
	if ((st = dnnl_memory_desc_init_by_tag(&fbig, 4, bd, dt, dnnl_nhwc))) goto fail;
	if ((st = dnnl_convolution_forward_desc_init(&fd, dnnl_forward_training, dnnl_convolution_direct,
			&fbig, &w_any, NULL, &fsmall, str, pl, pr))) goto fail;
	if ((st = dnnl_primitive_desc_create(&fpd, &fd, attr, rs_engine, NULL))) goto fail;
	switch (pass) {
	case 0:
		pd = fpd;
		fpd = NULL;
		break;
	case 1:
		if ((st = dnnl_convolution_backward_data_desc_init(&d, dnnl_convolution_direct, &cv->big_u, &w_any,
				&cv->small_p, str, pl, pr))) goto fail;
		if ((st = dnnl_primitive_desc_create(&pd, &d, attr, rs_engine, fpd))) goto fail;
		break;
	default:
		if ((st = dnnl_convolution_backward_weights_desc_init(&d, dnnl_convolution_direct, &cv->big_p, &wf_any,
				NULL, &cv->small_p, str, pl, pr))) goto fail;
		if ((st = dnnl_primitive_desc_create(&pd, &d, attr, rs_engine, fpd))) goto fail;
	}
	const char *impl = "";
	dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
	strncpy(cv->impl, impl, sizeof cv->impl - 1);
	if (strstr(impl, "ref")) { st = -2; goto fail; }
	cv->w_p = *dnnl_primitive_desc_query_md(pd, pass == 2 ? dnnl_query_diff_weights_md : dnnl_query_weights_md, 0);
	cv->s_md = *dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
	cv->scratch = dnnl_memory_desc_get_size(&cv->s_md);
	cv->wbytes = dnnl_memory_desc_get_size(&cv->w_p);
	cv->wubytes = dnnl_memory_desc_get_size(&cv->w_u);
	cv->bigbytes = dnnl_memory_desc_get_size(&cv->big_p);
	cv->smallbytes = dnnl_memory_desc_get_size(&cv->small_p);
	if (pass == 2) st = rs_reorder(&cv->re_w, &cv->w_p, &cv->w_u);
	else st = rs_reorder(&cv->re_w, &cv->w_u, &cv->w_p);
	if (st) goto fail;
	if (bf16 && pass != 1 && (st = rs_reorder(&cv->re_big, &cv->big_u, &cv->big_p))) goto fail;
	if (bf16 && pass != 0 && (st = rs_reorder(&cv->re_small, &cv->small_u, &cv->small_p))) goto fail;
	st = dnnl_primitive_create(&cv->prim, pd);
	dnnl_primitive_desc_destroy(pd);
	pd = NULL;
	if (st) goto fail;
	dnnl_primitive_attr_destroy(attr);
	*out = cv;
	return 0;
fail:
	if (attr) dnnl_primitive_attr_destroy(attr);
	if (fpd) dnnl_primitive_desc_destroy(fpd);
	if (pd) dnnl_primitive_desc_destroy(pd);
	free(cv); // primitives made before a failure are leaked: failures happen once per shape
	return st ? st : -1;
}

static int cv_ctx_new(cv_ctx **out) { return rs_ctx_make((void **)out, sizeof **out); }


static int cv_move(cv_ctx *cx, dnnl_primitive_t re, const dnnl_memory_desc_t *from, void *src,
		const dnnl_memory_desc_t *to, void *dst) {
	int arg[2] = {DNNL_ARG_FROM, DNNL_ARG_TO};
	const dnnl_memory_desc_t *md[2] = {from, to};
	void *ptr[2] = {src, dst};
	return rs_exec(cx->stream, re, 2, arg, md, ptr);
}

// cv_weights reorders the caller's weights into cx->w, the layout of the primitive (forward and
// backward data).
static int cv_weights(cv_t *cv, cv_ctx *cx, float *w) {
	omp_set_num_threads(1);
	if (rs_grow(&cx->w, &cx->w_cap, cv->wbytes)) return -1;
	return cv_move(cx, cv->re_w, &cv->w_u, w, &cv->w_p, cx->w);
}

// cv_input sets *p to the bf16 form of one input, src (u → pm by reorder re): its copy bf when
// have says the copy holds it, otherwise converted into the copy, or into cx's buffer (*buf) when
// there is no copy.
static int cv_input(cv_ctx *cx, dnnl_primitive_t re, const dnnl_memory_desc_t *u, const dnnl_memory_desc_t *pm,
		float *src, void *bf, int have, void **buf, size_t *cap, size_t bytes, void **p) {
	*p = bf;
	if (bf && have) return 0;
	if (!bf) {
		if (rs_grow(buf, cap, bytes)) return -1;
		*p = *buf;
	}
	return cv_move(cx, re, u, src, pm, *p);
}

// cv_run runs the pass on one part of the batch. big and small point at the part's first sample;
// wp is the reordered weights (forward and backward data) and wu the hwio weight gradient to
// write (backward weights; NULL: into cx->wu). In bf16, bigbf and smallbf (NULL: none) point at
// the part's place in a bf16 copy of big and small: read when bit 0 (big) or bit 1 (small) of
// have is set, filled otherwise.
static int cv_run(cv_t *cv, cv_ctx *cx, float *big, float *small, void *wp, float *wu,
		void *bigbf, void *smallbf, int have) {
	omp_set_num_threads(1);
	if (rs_grow(&cx->scratch, &cx->scratch_cap, cv->scratch)) return -1;
	void *bigp = big, *smallp = small;
	int st;
	if (cv->re_big && (st = cv_input(cx, cv->re_big, &cv->big_u, &cv->big_p, big, bigbf, have & 1,
			&cx->big, &cx->big_cap, cv->bigbytes, &bigp))) return st;
	if (cv->re_small && (st = cv_input(cx, cv->re_small, &cv->small_u, &cv->small_p, small, smallbf, have & 2,
			&cx->small, &cx->small_cap, cv->smallbytes, &smallp))) return st;
	int arg[4];
	const dnnl_memory_desc_t *md[4];
	void *ptr[4];
	switch (cv->pass) {
	case 0:
		arg[0] = DNNL_ARG_SRC; md[0] = &cv->big_p; ptr[0] = bigp;
		arg[1] = DNNL_ARG_WEIGHTS; md[1] = &cv->w_p; ptr[1] = wp;
		arg[2] = DNNL_ARG_DST; md[2] = &cv->small_u; ptr[2] = small;
		break;
	case 1:
		arg[0] = DNNL_ARG_DIFF_DST; md[0] = &cv->small_p; ptr[0] = smallp;
		arg[1] = DNNL_ARG_WEIGHTS; md[1] = &cv->w_p; ptr[1] = wp;
		arg[2] = DNNL_ARG_DIFF_SRC; md[2] = &cv->big_u; ptr[2] = big;
		break;
	default:
		if (rs_grow(&cx->w, &cx->w_cap, cv->wbytes)) return -1;
		arg[0] = DNNL_ARG_SRC; md[0] = &cv->big_p; ptr[0] = bigp;
		arg[1] = DNNL_ARG_DIFF_DST; md[1] = &cv->small_p; ptr[1] = smallp;
		arg[2] = DNNL_ARG_DIFF_WEIGHTS; md[2] = &cv->w_p; ptr[2] = cx->w;
	}
	int n = 3;
	if (cv->scratch) {
		arg[3] = DNNL_ARG_SCRATCHPAD; md[3] = &cv->s_md; ptr[3] = cx->scratch;
		n = 4;
	}
	if ((st = rs_exec(cx->stream, cv->prim, n, arg, md, ptr))) return st;
	if (cv->pass == 2) {
		if (!wu) {
			if (rs_grow(&cx->wu, &cx->wu_cap, cv->wubytes)) return -1;
			wu = cx->wu;
		}
		return cv_move(cx, cv->re_w, &cv->w_p, cx->w, &cv->w_u, wu);
	}
	return 0;
}

// cv_add adds n floats of src to dst.
static void cv_add(float *dst, const float *src, int64_t n) {
	for (int64_t i = 0; i < n; i++) dst[i] += src[i];
}
*/
import "C"

import (
	"fmt"
	"unsafe"
)

var conv struct {
	initErr error
	prims   primCache[convKey, C.cv_t] // nil: oneDNN has no (non-reference) implementation here
	ctxs    ctxPool[C.cv_ctx]
}

type convKey struct {
	s    ConvShape // s.B is the part's batch
	pass ConvPass
	bf16 bool
}

func init() {
	if st := C.cv_init(); st != 0 {
		conv.initErr = fmt.Errorf("blas: oneDNN engine: status %d", int(st))
	}
	conv.ctxs.create = func() (*C.cv_ctx, int) {
		var c *C.cv_ctx
		return c, int(C.cv_ctx_new(&c))
	}
}

// ConvBackend names the convolution implementation compiled in ("" when there is none).
func ConvBackend() string {
	if conv.initErr != nil {
		return ""
	}
	return "oneDNN"
}

func convPrim(key convKey) *C.cv_t {
	return conv.prims.get(key, func(key convKey) *C.cv_t {
		s := key.s
		var cv *C.cv_t
		if C.cv_create(&cv, C.int(key.pass), C.int(b2i(key.bf16)), C.int64_t(s.B), C.int64_t(s.H), C.int64_t(s.W),
			C.int64_t(s.C), C.int64_t(s.Ho), C.int64_t(s.Wo), C.int64_t(s.Cs), C.int64_t(s.K), C.int64_t(s.S), C.int64_t(s.P)) != 0 {
			return nil
		}
		return cv
	})
}

// ConvImpl returns oneDNN's name for the implementation it picks for a pass on batch parts of
// s (the first part's), or "" if there is none.
func ConvImpl(pass ConvPass, s ConvShape, bf16 bool) string {
	s.B = (s.B + ConvLanes - 1) / ConvLanes
	if cv := convPrim(convKey{s: s, pass: pass, bf16: bf16}); cv != nil {
		return C.GoString(&cv.impl[0])
	}
	return ""
}

func fptr(s []float32) *C.float { return (*C.float)(unsafe.Pointer(&s[0])) }

// Conv runs one pass of a convolution with oneDNN, bf16 inputs (float32 accumulation and
// output) when bf16 is set, and reports whether it did: false, with nothing written, when this
// build or CPU has no oneDNN implementation for the shape other than its reference loops.
//
//   - [ConvForward] reads big and w and writes small;
//   - [ConvBackwardData] reads small and w and writes big;
//   - [ConvBackwardWeights] reads big and small and writes w.
//
// The batch is cut into [ConvLanes] fixed parts, run through par (each part one single-threaded
// primitive). In bf16, an input with a copy in cp is read from the copy when it is valid, and
// converted into it (which makes it valid) otherwise.
func Conv(pass ConvPass, s ConvShape, bf16 bool, big, small, w []float32, cp ConvCopies, par Parallel) bool {
	if conv.initErr != nil || s.B <= 0 {
		return false
	}
	lanes := min(ConvLanes, s.B)
	parts := make([]*C.cv_t, lanes)
	for l := range parts {
		ps := s
		ps.B = s.B*(l+1)/lanes - s.B*l/lanes
		if parts[l] = convPrim(convKey{s: ps, pass: pass, bf16: bf16}); parts[l] == nil {
			return false
		}
	}
	bigLen, smallLen := s.H*s.W*s.C, s.Ho*s.Wo*s.Cs
	_, _ = big[s.B*bigLen-1], small[s.B*smallLen-1]
	_ = w[s.K*s.K*s.C*s.Cs-1]
	var wp unsafe.Pointer
	if pass != ConvBackwardWeights {
		cx := conv.ctxs.get()
		defer conv.ctxs.put(cx)
		if st := C.cv_weights(parts[0], cx, fptr(w)); st != 0 {
			panic(fmt.Sprintf("blas: oneDNN weight reorder %+v: status %d", s, int(st)))
		}
		wp = cx.w
		// the parts' primitives take the same weight layout unless their batch sizes differ
		// enough to pick another kernel: check, and reorder per part then
		if lanes > 1 && C.dnnl_memory_desc_equal(&parts[0].w_p, &parts[1].w_p) == 0 {
			wp = nil
		}
	}
	// the bf16 copies this pass reads
	var bigC, smallC *BF16Copy
	if bf16 {
		if pass != ConvBackwardData {
			bigC = cp.Big
		}
		if pass != ConvForward {
			smallC = cp.Small
		}
	}
	have := C.int(0)
	if bigC != nil {
		if bigC.grow(s.B * bigLen); bigC.Valid {
			have |= 1
		}
	}
	if smallC != nil {
		if smallC.grow(s.B * smallLen); smallC.Valid {
			have |= 2
		}
	}
	ctxs := make([]*C.cv_ctx, lanes)
	par(lanes, func(lo, hi int) {
		for l := lo; l < hi; l++ {
			b0 := s.B * l / lanes
			cx := conv.ctxs.get()
			ctxs[l] = cx
			lwp := wp
			if pass != ConvBackwardWeights && lwp == nil {
				if st := C.cv_weights(parts[l], cx, fptr(w)); st != 0 {
					panic(fmt.Sprintf("blas: oneDNN weight reorder %+v: status %d", s, int(st)))
				}
				lwp = cx.w
			}
			var wu *C.float
			if pass == ConvBackwardWeights && l == 0 {
				wu = fptr(w)
			}
			var bigbf, smallbf unsafe.Pointer
			if bigC != nil {
				bigbf = unsafe.Pointer(&bigC.buf[b0*bigLen])
			}
			if smallC != nil {
				smallbf = unsafe.Pointer(&smallC.buf[b0*smallLen])
			}
			if st := C.cv_run(parts[l], cx, fptr(big[b0*bigLen:]), fptr(small[b0*smallLen:]), lwp, wu, bigbf, smallbf, have); st != 0 {
				panic(fmt.Sprintf("blas: oneDNN convolution pass %d %+v: status %d", pass, s, int(st)))
			}
		}
	})
	if pass == ConvBackwardWeights {
		n := len(w[:s.K*s.K*s.C*s.Cs])
		for l := 1; l < lanes; l++ { // element by element, lanes in order: the same sums whatever the split
			part := unsafe.Slice((*float32)(ctxs[l].wu), n)
			par(n, func(lo, hi int) {
				if lo < hi {
					C.cv_add(fptr(w[lo:hi]), fptr(part[lo:hi]), C.int64_t(hi-lo))
				}
			})
		}
	}
	for _, cx := range ctxs {
		conv.ctxs.put(cx)
	}
	if bigC != nil {
		bigC.Valid = true
	}
	if smallC != nil {
		smallC.Valid = true
	}
	return true
}
