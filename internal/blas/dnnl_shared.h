// What the cgo preambles of dnnl.go and dnnl_conv.go (dnnl tag) share.
#include <stdlib.h>
#include <oneapi/dnnl/dnnl.h>

// rs_engine is the process's one oneDNN CPU engine; rs_engine_init creates it on its first call
// (both files' init functions call it) and returns the status.
extern dnnl_engine_t rs_engine;
int rs_engine_init(void);

// rs_grow makes *p hold at least need bytes, 64-byte aligned; what it held is lost when it grows.
static inline int rs_grow(void **p, size_t *cap, size_t need) {
	if (*cap >= need) return 0;
	free(*p);
	*p = aligned_alloc(64, (need + 63) / 64 * 64);
	*cap = *p ? need : 0;
	return *p ? 0 : -1;
}

// rs_exec runs primitive p on stream s with n arguments (oneDNN argument kinds, memory
// descriptions and buffers, n at most 5) and waits for it.
static inline int rs_exec(dnnl_stream_t s, dnnl_primitive_t p, int n, const int *arg, const dnnl_memory_desc_t **md, void **ptr) {
	dnnl_memory_t m[5];
	dnnl_exec_arg_t a[5];
	int st = 0, made = 0;
	for (; made < n; made++) {
		if ((st = dnnl_memory_create(&m[made], md[made], rs_engine, ptr[made]))) break;
		a[made].arg = arg[made];
		a[made].memory = m[made];
	}
	if (!st) st = dnnl_primitive_execute(p, s, n, a);
	if (!st) st = dnnl_stream_wait(s);
	for (int i = 0; i < made; i++) dnnl_memory_destroy(m[i]);
	return st;
}

// rs_ctx_make allocates a zeroed per-call context of size bytes whose first member is a
// dnnl_stream_t, and creates that stream.
static inline int rs_ctx_make(void **out, size_t size) {
	dnnl_stream_t *c = calloc(1, size);
	if (!c) return -1;
	int st = dnnl_stream_create(c, rs_engine, dnnl_stream_default_flags);
	if (st) { free(c); return st; }
	*out = c;
	return 0;
}

// cv_ctx is what one running part of a convolution (dnnl_conv.go, dnnl_phase.go) needs for
// itself: a stream and growing buffers.
typedef struct {
	dnnl_stream_t stream;
	void *scratch; size_t scratch_cap;
	void *big; size_t big_cap;     // bf16 copy of an input (phases: the four phases' outputs)
	void *small; size_t small_cap; // bf16 copy of an input
	void *w; size_t w_cap;         // weights as the primitive takes them, or its weight gradient
	void *wu; size_t wu_cap;       // a part's weight gradient in hwio (lanes after the first)
} cv_ctx;

// rs_reorder makes the reorder primitive a → b, refusing (-3) one that would need a scratchpad:
// the reorders here are plain layout or type changes, and a library scratchpad would be shared
// between the parts that run side by side.
static inline int rs_reorder(dnnl_primitive_t *out, const dnnl_memory_desc_t *a, const dnnl_memory_desc_t *b) {
	dnnl_primitive_desc_t pd;
	dnnl_primitive_attr_t attr;
	int st = dnnl_primitive_attr_create(&attr);
	if (st) return st;
	dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
	st = dnnl_reorder_primitive_desc_create(&pd, a, rs_engine, b, rs_engine, attr);
	dnnl_primitive_attr_destroy(attr);
	if (st) return st;
	if (dnnl_memory_desc_get_size(dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0))) {
		dnnl_primitive_desc_destroy(pd);
		return -3;
	}
	st = dnnl_primitive_create(out, pd);
	dnnl_primitive_desc_destroy(pd);
	return st;
}
