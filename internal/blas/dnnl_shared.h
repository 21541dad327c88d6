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
