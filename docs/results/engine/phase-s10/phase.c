// Single-thread timing, mb32, fp32: oneDNN backward-data (the transposed convolution as raysynth runs
// it) against four stride-1 2x2 forward convolutions (the sub-pixel phases) plus an interleave pass.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <oneapi/dnnl/dnnl.h>
static dnnl_engine_t eng; static dnnl_stream_t strm;
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static void *buf(size_t n) { void *p = aligned_alloc(64, (n * 4 + 63) / 64 * 64); memset(p, 0, n * 4); return p; }
static dnnl_primitive_t mk(int pass, int mb, int h, int c, int ho, int cs, int k, int s, int pl0, int pr0, int pl1, int pr1,
                           dnnl_memory_desc_t *bigd, dnnl_memory_desc_t *smalld, dnnl_memory_desc_t *wd_out, const char **impl) {
  dnnl_dims_t bd = {mb, c, h, h}, sd = {mb, cs, ho, ho}, wd = {cs, c, k, k}, st = {s, s}, pl = {pl0, pl1}, pr = {pr0, pr1};
  dnnl_memory_desc_t w;
  dnnl_memory_desc_init_by_tag(bigd, 4, bd, dnnl_f32, dnnl_nhwc);
  dnnl_memory_desc_init_by_tag(smalld, 4, sd, dnnl_f32, dnnl_nhwc);
  dnnl_memory_desc_init_by_tag(&w, 4, wd, dnnl_f32, dnnl_format_tag_any);
  dnnl_convolution_desc_t fd, d; dnnl_primitive_desc_t fpd, pd;
  dnnl_convolution_forward_desc_init(&fd, dnnl_forward_training, dnnl_convolution_direct, bigd, &w, NULL, smalld, st, pl, pr);
  dnnl_primitive_desc_create(&fpd, &fd, NULL, eng, NULL);
  if (pass == 0) pd = fpd; else {
    dnnl_convolution_backward_data_desc_init(&d, dnnl_convolution_direct, bigd, &w, smalld, st, pl, pr);
    dnnl_primitive_desc_create(&pd, &d, NULL, eng, fpd);
  }
  dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, impl);
  *wd_out = *dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
  dnnl_primitive_t p; dnnl_primitive_create(&p, pd); return p;
}
static double run(dnnl_primitive_t p, int pass, dnnl_memory_desc_t *bd, dnnl_memory_desc_t *sd, dnnl_memory_desc_t *wd, int reps) {
  void *b = buf(dnnl_memory_desc_get_size(bd) / 4), *s = buf(dnnl_memory_desc_get_size(sd) / 4), *w = buf(dnnl_memory_desc_get_size(wd) / 4);
  dnnl_memory_t bm, sm, wm;
  dnnl_memory_create(&bm, bd, eng, b); dnnl_memory_create(&sm, sd, eng, s); dnnl_memory_create(&wm, wd, eng, w);
  dnnl_exec_arg_t a[3] = {{pass ? DNNL_ARG_DIFF_SRC : DNNL_ARG_SRC, bm}, {DNNL_ARG_WEIGHTS, wm}, {pass ? DNNL_ARG_DIFF_DST : DNNL_ARG_DST, sm}};
  double best = 1e9;
  for (int r = 0; r < reps; r++) { double t = now(); dnnl_primitive_execute(p, strm, 3, a); dnnl_stream_wait(strm); t = now() - t; if (t < best) best = t; }
  return best;
}
int main(void) {
  dnnl_engine_create(&eng, dnnl_cpu, 0); dnnl_stream_create(&strm, eng, dnnl_stream_default_flags);
  int L[3][3] = {{32, 32, 64}, {16, 64, 128}, {8, 128, 256}}; // big side h, C; small channels Cs
  int mb = 32;
  for (int l = 0; l < 3; l++) {
    int h = L[l][0], c = L[l][1], cs = L[l][2], ho = h / 2;
    dnnl_memory_desc_t bd, sd, wd; const char *impl;
    dnnl_primitive_t bwd = mk(1, mb, h, c, ho, cs, 4, 2, 1, 1, 1, 1, &bd, &sd, &wd, &impl);
    double tb = run(bwd, 1, &bd, &sd, &wd, 15);
    double flops = 2.0 * mb * ho * ho * 16.0 * c * cs;
    // a phase: forward conv over small (ho x ho x cs) -> (ho x ho x c), 2x2 kernel, stride 1, pad (1,0) on one side
    dnnl_memory_desc_t pbd, psd, pwd; const char *pimpl;
    dnnl_primitive_t ph = mk(0, mb, ho, cs, ho, c, 2, 1, 1, 0, 1, 0, &pbd, &psd, &pwd, &pimpl);
    double tp = run(ph, 0, &pbd, &psd, &pwd, 15);
    // interleave: 4 phase outputs (mb, ho, ho, c) into (mb, h, h, c)
    size_t n = (size_t)mb * ho * ho * c; float *out = buf(4 * n), *in[4];
    for (int i = 0; i < 4; i++) in[i] = buf(n);
    double ti = 1e9;
    for (int r = 0; r < 15; r++) {
      double t = now();
      for (int b = 0; b < mb; b++) for (int y = 0; y < ho; y++) for (int a = 0; a < 2; a++) for (int x = 0; x < ho; x++) for (int bb = 0; bb < 2; bb++)
        memcpy(out + (((size_t)b * h + 2 * y + a) * h + 2 * x + bb) * c, in[a * 2 + bb] + (((size_t)b * ho + y) * ho + x) * c, c * 4);
      t = now() - t; if (t < ti) ti = t;
    }
    printf("%dx%dx%d<-%dx%dx%d mb%d: bwd-data %s %.2f ms (%.0f GFLOP/s) | 4 phases %s %.2f ms + interleave %.2f ms = %.2f ms (%.0f GFLOP/s)\n",
           h, h, c, ho, ho, cs, mb, impl, tb * 1e3, flops / tb * 1e-9, pimpl, 4 * tp * 1e3, ti * 1e3, (4 * tp + ti) * 1e3, flops / (4 * tp + ti) * 1e-9);
  }
}
