//go:build dnnl && cgo

package blas

/*
#cgo LDFLAGS: -ldnnl -lgomp
#include <stdint.h>
#include <string.h>
#include "dnnl_shared.h"

extern void omp_set_num_threads(int);

// ph_t is the sub-pixel form of a 4×4, stride-2, padding-1 transposed convolution for one part
// of the batch (mb samples): output pixel (2m+a, 2n+b) of the big map only sees small pixels
// m-1+a+t, n-1+b+u (t, u in {0, 1}), so each of the four phases (a, b) is a stride-1 2×2 forward
// convolution over the small map, which oneDNN runs with its brgemm kernel, faster than its
// backward-data kernel for the strided case.
typedef struct {
	dnnl_primitive_t prim[4], re_w[4];
	dnnl_memory_desc_t src, dst, w_u, w_p[4], s_md[4];
	size_t scratch, wbytes, dstbytes;
} ph_t;

// ph_create makes the four phases' primitives for small (mb, Cs, Ho, Wo) → big (mb, C, 2Ho, 2Wo).
// It fails when oneDNN has only its reference loops for them.
static int ph_create(ph_t **out, int64_t mb, int64_t ho, int64_t wo, int64_t cs, int64_t c) {
	omp_set_num_threads(1);
	ph_t *ph = calloc(1, sizeof *ph);
	dnnl_dims_t sd = {mb, cs, ho, wo}, dd = {mb, c, ho, wo}, wd = {c, cs, 2, 2}, st1 = {1, 1};
	dnnl_primitive_attr_t attr = NULL;
	int st;
	if ((st = dnnl_primitive_attr_create(&attr))) goto fail;
	if ((st = dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user))) goto fail;
	if ((st = dnnl_memory_desc_init_by_tag(&ph->src, 4, sd, dnnl_f32, dnnl_nhwc))) goto fail;
	if ((st = dnnl_memory_desc_init_by_tag(&ph->dst, 4, dd, dnnl_f32, dnnl_nhwc))) goto fail;
	if ((st = dnnl_memory_desc_init_by_tag(&ph->w_u, 4, wd, dnnl_f32, dnnl_hwio))) goto fail;
	dnnl_memory_desc_t w_any;
	if ((st = dnnl_memory_desc_init_by_tag(&w_any, 4, wd, dnnl_f32, dnnl_format_tag_any))) goto fail;
	for (int p = 0; p < 4; p++) {
		int a = p / 2, b = p % 2;
		dnnl_dims_t pl = {a == 0, b == 0}, pr = {a == 1, b == 1};
		dnnl_convolution_desc_t d;
		dnnl_primitive_desc_t pd;
		if ((st = dnnl_convolution_forward_desc_init(&d, dnnl_forward_inference, dnnl_convolution_direct,
				&ph->src, &w_any, NULL, &ph->dst, st1, pl, pr))) goto fail;
		if ((st = dnnl_primitive_desc_create(&pd, &d, attr, rs_engine, NULL))) goto fail;
		const char *impl = "";
		dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
		if (strstr(impl, "ref")) { dnnl_primitive_desc_destroy(pd); st = -2; goto fail; }
		ph->w_p[p] = *dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
		ph->s_md[p] = *dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
		size_t sc = dnnl_memory_desc_get_size(&ph->s_md[p]), wb = dnnl_memory_desc_get_size(&ph->w_p[p]);
		if (sc > ph->scratch) ph->scratch = sc;
		if (wb > ph->wbytes) ph->wbytes = wb;
		st = dnnl_primitive_create(&ph->prim[p], pd);
		dnnl_primitive_desc_destroy(pd);
		if (st) goto fail;
		if ((st = rs_reorder(&ph->re_w[p], &ph->w_u, &ph->w_p[p]))) goto fail;
	}
	ph->wbytes = (ph->wbytes + 63) / 64 * 64;
	ph->dstbytes = (dnnl_memory_desc_get_size(&ph->dst) + 63) / 64 * 64;
	dnnl_primitive_attr_destroy(attr);
	*out = ph;
	return 0;
fail:
	if (attr) dnnl_primitive_attr_destroy(attr);
	free(ph); // primitives made before a failure are leaked: failures happen once per shape
	return st ? st : -1;
}


// ph_weights reorders the four phases' weights (wh: four hwio blocks of 2·2·Cs·C floats) into
// cx->w, the primitives' layouts.
static int ph_weights(ph_t *ph, cv_ctx *cx, const float *wh, int64_t block) {
	omp_set_num_threads(1);
	if (rs_grow(&cx->w, &cx->w_cap, 4 * ph->wbytes)) return -1;
	for (int p = 0; p < 4; p++) {
		int arg[2] = {DNNL_ARG_FROM, DNNL_ARG_TO};
		const dnnl_memory_desc_t *md[2] = {&ph->w_u, &ph->w_p[p]};
		void *ptr[2] = {(void *)(wh + p * block), (char *)cx->w + p * ph->wbytes};
		int st = rs_exec(cx->stream, ph->re_w[p], 2, arg, md, ptr);
		if (st) return st;
	}
	return 0;
}

// ph_run computes one part of the batch: the four phases from small (the part's first sample) with
// the weights wp (ph_weights's buffer), then interleaves them into big.
static int ph_run(ph_t *ph, cv_ctx *cx, const float *small, const void *wp, float *big,
		int64_t mb, int64_t ho, int64_t wo, int64_t c) {
	omp_set_num_threads(1);
	if (rs_grow(&cx->scratch, &cx->scratch_cap, ph->scratch) || rs_grow(&cx->big, &cx->big_cap, 4 * ph->dstbytes)) return -1;
	for (int p = 0; p < 4; p++) {
		int arg[4] = {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST, DNNL_ARG_SCRATCHPAD};
		const dnnl_memory_desc_t *md[4] = {&ph->src, &ph->w_p[p], &ph->dst, &ph->s_md[p]};
		void *ptr[4] = {(void *)small, (char *)wp + p * ph->wbytes, (char *)cx->big + p * ph->dstbytes, cx->scratch};
		int st = rs_exec(cx->stream, ph->prim[p], ph->scratch ? 4 : 3, arg, md, ptr);
		if (st) return st;
	}
	int64_t w2 = 2 * wo;
	for (int64_t s = 0; s < mb; s++)
		for (int64_t m = 0; m < ho; m++)
			for (int a = 0; a < 2; a++) {
				float *row = big + ((s * 2 * ho + 2 * m + a) * w2) * c;
				const float *p0 = (const float *)((char *)cx->big + (2 * a) * ph->dstbytes) + (s * ho + m) * wo * c;
				const float *p1 = (const float *)((char *)cx->big + (2 * a + 1) * ph->dstbytes) + (s * ho + m) * wo * c;
				for (int64_t n = 0; n < wo; n++) {
					memcpy(row + (2 * n) * c, p0 + n * c, c * sizeof(float));
					memcpy(row + (2 * n + 1) * c, p1 + n * c, c * sizeof(float));
				}
			}
	return 0;
}
*/
import "C"

import (
	"fmt"
	"sync"
	"unsafe"
)

// phase's primitives per shape; the calls take their contexts from conv's pool (the phase outputs
// go to a context's big buffer).
var phase struct {
	prims primCache[phaseKey, C.ph_t] // nil: no (non-reference) implementation here
}

type phaseKey struct{ mb, ho, wo, cs, c int }

func phasePrim(k phaseKey) *C.ph_t {
	return phase.prims.get(k, func(k phaseKey) *C.ph_t {
		var ph *C.ph_t
		if C.ph_create(&ph, C.int64_t(k.mb), C.int64_t(k.ho), C.int64_t(k.wo), C.int64_t(k.cs), C.int64_t(k.c)) != 0 {
			return nil
		}
		return ph
	})
}

// ConvTPhases computes big = convᵀ(small, w), the [ConvBackwardData] pass, in float32 for a 4×4
// kernel with stride 2 and padding 1 whose big map is exactly twice the small one: as four
// stride-1 2×2 forward convolutions, one per output phase, interleaved into big. It reports false,
// with nothing written, where it does not apply or oneDNN has no implementation. The batch is cut
// into [ConvLanes] parts as in [Conv].
func ConvTPhases(s ConvShape, big, small, w []float32, par Parallel) bool {
	if conv.initErr != nil || s.B <= 0 || s.K != 4 || s.S != 2 || s.P != 1 || s.H != 2*s.Ho || s.W != 2*s.Wo {
		return false
	}
	lanes := min(ConvLanes, s.B)
	parts := make([]*C.ph_t, lanes)
	for l := range parts {
		mb := s.B*(l+1)/lanes - s.B*l/lanes
		if parts[l] = phasePrim(phaseKey{mb: mb, ho: s.Ho, wo: s.Wo, cs: s.Cs, c: s.C}); parts[l] == nil {
			return false
		}
	}
	bigLen, smallLen := s.H*s.W*s.C, s.Ho*s.Wo*s.Cs
	_, _ = big[s.B*bigLen-1], small[s.B*smallLen-1]
	block := 4 * s.Cs * s.C
	whp := phaseBufs.Get().(*[]float32)
	defer phaseBufs.Put(whp)
	if cap(*whp) < 4*block {
		*whp = make([]float32, 4*block)
	}
	wh := (*whp)[:4*block]
	phaseWeights(w, s.C, s.Cs, wh)
	weights := func(ph *C.ph_t, cx *C.cv_ctx) {
		if st := C.ph_weights(ph, cx, (*C.float)(unsafe.Pointer(&wh[0])), C.int64_t(block)); st != 0 {
			panic(fmt.Sprintf("blas: oneDNN phase weight reorder %+v: status %d", s, int(st)))
		}
	}
	wcx := conv.ctxs.get()
	defer conv.ctxs.put(wcx)
	weights(parts[0], wcx)
	shared := lanes == 1 || parts[0] == parts[lanes-1] // same batch size: the same primitives and layouts
	par(lanes, func(lo, hi int) {
		for l := lo; l < hi; l++ {
			b0, b1 := s.B*l/lanes, s.B*(l+1)/lanes
			cx := conv.ctxs.get()
			wp := wcx.w
			if !shared {
				weights(parts[l], cx)
				wp = cx.w
			}
			if st := C.ph_run(parts[l], cx, (*C.float)(unsafe.Pointer(&small[b0*smallLen])), wp,
				(*C.float)(unsafe.Pointer(&big[b0*bigLen])), C.int64_t(b1-b0), C.int64_t(s.Ho), C.int64_t(s.Wo), C.int64_t(s.C)); st != 0 {
				panic(fmt.Sprintf("blas: oneDNN phase convolution %+v: status %d", s, int(st)))
			}
			conv.ctxs.put(cx)
		}
	})
	return true
}

// phaseWeights cuts w (the transposed convolution's (4·4·C, Cs) hwio weights) into the four
// phases' 2×2 forward-convolution weights, each hwio with i = Cs and o = C: phase (a, b) tap
// (t, u) is kernel tap (3−a−2t, 3−b−2u).
func phaseWeights(w []float32, c, cs int, wh []float32) {
	block := 4 * cs * c
	for p := 0; p < 4; p++ {
		a, b := p/2, p%2
		for t := 0; t < 2; t++ {
			for u := 0; u < 2; u++ {
				ky, kx := 3-a-2*t, 3-b-2*u
				src := w[(ky*4+kx)*c*cs:]
				dst := wh[p*block+(t*2+u)*cs*c:]
				for ci := 0; ci < c; ci++ {
					for si := 0; si < cs; si++ {
						dst[si*c+ci] = src[ci*cs+si]
					}
				}
			}
		}
	}
}

// phaseBufs holds the float32 buffers phaseWeights fills, reused from call to call.
var phaseBufs = sync.Pool{New: func() any { return new([]float32) }}
