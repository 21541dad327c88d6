// Single-threaded oneDNN convolution timings on the DCGAN layer shapes.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <oneapi/dnnl/dnnl.h>
extern void omp_set_num_threads(int);
#define CK(x) do { dnnl_status_t s_ = (x); if (s_) { fprintf(stderr, "%s:%d %s -> %d\n", __FILE__, __LINE__, #x, s_); exit(1);} } while (0)
static dnnl_engine_t eng; static dnnl_stream_t st;
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
static void *buf(size_t n) { void *p = aligned_alloc(64, (n + 63) / 64 * 64); memset(p, 0, n); return p; }
static dnnl_memory_t mem(const dnnl_memory_desc_t *md, void *p) { dnnl_memory_t m; CK(dnnl_memory_create(&m, md, eng, p ? p : buf(dnnl_memory_desc_get_size(md)))); return m; }
static dnnl_primitive_t reorder(const dnnl_memory_desc_t *a, const dnnl_memory_desc_t *b) {
  dnnl_primitive_desc_t pd; CK(dnnl_reorder_primitive_desc_create(&pd, a, eng, b, eng, NULL));
  dnnl_primitive_t p; CK(dnnl_primitive_create(&p, pd)); dnnl_primitive_desc_destroy(pd); return p; }
static void run(dnnl_primitive_t p, int n, dnnl_exec_arg_t *a) { CK(dnnl_primitive_execute(p, st, n, a)); CK(dnnl_stream_wait(st)); }
static void rr(dnnl_primitive_t p, dnnl_memory_t a, dnnl_memory_t b) { dnnl_exec_arg_t x[2] = {{DNNL_ARG_FROM, a}, {DNNL_ARG_TO, b}}; run(p, 2, x); }
static int cmpd(const void *a, const void *b) { double x = *(double *)a, y = *(double *)b; return x < y ? -1 : x > y; }
#define REPS 15
int main(int argc, char **argv) {
  omp_set_num_threads(1);
  CK(dnnl_engine_create(&eng, dnnl_cpu, 0)); CK(dnnl_stream_create(&st, eng, dnnl_stream_default_flags));
  int layers[4][3] = {{64, 1, 32}, {32, 32, 64}, {16, 64, 128}, {8, 128, 256}}; // H, C, Cs
  int mbs[3] = {16, 32, 64};
  for (int prec = 0; prec < 2; prec++)
  for (int wany = 1; wany >= 0; wany--)
  for (int li = 0; li < 4; li++) for (int mi = 0; mi < 3; mi++) {
    int H = layers[li][0], C = layers[li][1], Cs = layers[li][2], mb = mbs[mi], Ho = H / 2, K = 4;
    dnnl_data_type_t dt = prec ? dnnl_bf16 : dnnl_f32;
    dnnl_dims_t sd = {mb, C, H, H}, dd = {mb, Cs, Ho, Ho}, wd = {Cs, C, K, K}, strides = {2, 2}, pad = {1, 1};
    dnnl_memory_desc_t src_f, dst_f, w_f, src_l, dst_l, dst_o, w_l, w_any, w_out;
    CK(dnnl_memory_desc_init_by_tag(&src_f, 4, sd, dnnl_f32, dnnl_nhwc));
    CK(dnnl_memory_desc_init_by_tag(&dst_f, 4, dd, dnnl_f32, dnnl_nhwc));
    CK(dnnl_memory_desc_init_by_tag(&w_f, 4, wd, dnnl_f32, dnnl_hwio));
    CK(dnnl_memory_desc_init_by_tag(&src_l, 4, sd, dt, dnnl_nhwc));
    CK(dnnl_memory_desc_init_by_tag(&dst_l, 4, dd, dt, dnnl_nhwc));
    CK(dnnl_memory_desc_init_by_tag(&w_l, 4, wd, dt, dnnl_hwio));
    CK(dnnl_memory_desc_init_by_tag(&w_any, 4, wd, dt, dnnl_format_tag_any));
    CK(dnnl_memory_desc_init_by_tag(&w_out, 4, wd, dnnl_f32, wany ? dnnl_format_tag_any : dnnl_hwio));
    dst_o = dst_f; // fwd output f32
    dnnl_convolution_desc_t fd, bdd, bwd;
    CK(dnnl_convolution_forward_desc_init(&fd, dnnl_forward_training, dnnl_convolution_direct, &src_l, wany ? &w_any : &w_l, NULL, &dst_o, strides, pad, pad));
    dnnl_primitive_desc_t fpd, bdpd, bwpd;
    dnnl_primitive_attr_t attr; CK(dnnl_primitive_attr_create(&attr));
    CK(dnnl_primitive_desc_create(&fpd, &fd, attr, eng, NULL));
    CK(dnnl_convolution_backward_data_desc_init(&bdd, dnnl_convolution_direct, &src_f, wany ? &w_any : &w_l, &dst_l, strides, pad, pad));
    if (dnnl_primitive_desc_create(&bdpd, &bdd, attr, eng, fpd)) bdpd = NULL;
    CK(dnnl_convolution_backward_weights_desc_init(&bwd, dnnl_convolution_direct, &src_l, &w_out, NULL, &dst_l, strides, pad, pad));
    if (dnnl_primitive_desc_create(&bwpd, &bwd, attr, eng, fpd)) bwpd = NULL;
    const char *fi, *bdi = "-", *bwi = "-";
    dnnl_primitive_desc_query(fpd, dnnl_query_impl_info_str, 0, &fi);
    if (bdpd) dnnl_primitive_desc_query(bdpd, dnnl_query_impl_info_str, 0, &bdi);
    if (bwpd) dnnl_primitive_desc_query(bwpd, dnnl_query_impl_info_str, 0, &bwi);
    // memories
    dnnl_memory_t srcF = mem(&src_f, NULL), dstF = mem(&dst_f, NULL), wF = mem(&w_f, NULL);
    float *p; dnnl_memory_get_data_handle(srcF, (void **)&p); for (size_t i = 0; i < (size_t)mb*C*H*H; i++) p[i] = (float)rand() / RAND_MAX - .5f;
    dnnl_memory_get_data_handle(dstF, (void **)&p); for (size_t i = 0; i < (size_t)mb*Cs*Ho*Ho; i++) p[i] = (float)rand() / RAND_MAX - .5f;
    dnnl_memory_get_data_handle(wF, (void **)&p); for (size_t i = 0; i < (size_t)Cs*C*16; i++) p[i] = (float)rand() / RAND_MAX - .5f;
    const dnnl_memory_desc_t *fw = dnnl_primitive_desc_query_md(fpd, dnnl_query_weights_md, 0);
    dnnl_memory_t wP = mem(fw, NULL);
    dnnl_primitive_t wre = reorder(&w_f, fw);
    dnnl_memory_t srcL = srcF, dstL = dstF; dnnl_primitive_t sre = NULL, dre = NULL;
    if (prec) { srcL = mem(&src_l, NULL); dstL = mem(&dst_l, NULL); sre = reorder(&src_f, &src_l); dre = reorder(&dst_f, &dst_l); }
    dnnl_memory_t outF = mem(&dst_f, NULL), dsrcF = mem(&src_f, NULL);
    dnnl_primitive_t fp, bdp = NULL, bwp = NULL; CK(dnnl_primitive_create(&fp, fpd));
    if (bdpd) CK(dnnl_primitive_create(&bdp, bdpd));
    if (bwpd) CK(dnnl_primitive_create(&bwp, bwpd));
    dnnl_memory_t dwP = NULL, dwF = mem(&w_f, NULL); dnnl_primitive_t dwre = NULL;
    if (bwpd) { const dnnl_memory_desc_t *m = dnnl_primitive_desc_query_md(bwpd, dnnl_query_diff_weights_md, 0); dwP = mem(m, NULL); dwre = reorder(m, &w_f); }
    const dnnl_memory_desc_t *bdw = bdpd ? dnnl_primitive_desc_query_md(bdpd, dnnl_query_weights_md, 0) : NULL;
    double tf[REPS], tbd[REPS], tbw[REPS];
    for (int r = 0; r < REPS; r++) {
      double t0 = now();
      rr(wre, wF, wP); if (prec) rr(sre, srcF, srcL);
      { dnnl_exec_arg_t a[3] = {{DNNL_ARG_SRC, srcL}, {DNNL_ARG_WEIGHTS, wP}, {DNNL_ARG_DST, outF}}; run(fp, 3, a); }
      double t1 = now();
      if (bdp) { rr(wre, wF, wP); if (prec) rr(dre, dstF, dstL);
        dnnl_exec_arg_t a[3] = {{DNNL_ARG_DIFF_DST, dstL}, {DNNL_ARG_WEIGHTS, wP}, {DNNL_ARG_DIFF_SRC, dsrcF}}; run(bdp, 3, a); }
      double t2 = now();
      if (bwp) { if (prec) { rr(sre, srcF, srcL); rr(dre, dstF, dstL); }
        dnnl_exec_arg_t a[3] = {{DNNL_ARG_SRC, srcL}, {DNNL_ARG_DIFF_DST, dstL}, {DNNL_ARG_DIFF_WEIGHTS, dwP}}; run(bwp, 3, a);
        if (wany) rr(dwre, dwP, dwF); }
      double t3 = now();
      tf[r] = t1 - t0; tbd[r] = t2 - t1; tbw[r] = t3 - t2;
    }
    qsort(tf, REPS, 8, cmpd); qsort(tbd, REPS, 8, cmpd); qsort(tbw, REPS, 8, cmpd);
    double fl = 2.0 * mb * Ho * Ho * 16.0 * C * Cs;
    printf("%s w=%s %2dx%-3d->%2dx%-3d mb=%2d  fwd %7.3f ms (%5.0f GF/s) %-28s bwdD %7.3f ms (%5.0f) %-28s bwdW %7.3f ms (%5.0f) %s  bdw-same=%d\n",
      prec ? "bf16" : "fp32", wany ? "any " : "hwio", H, C, Ho, Cs, mb, tf[REPS/2]*1e3, fl/tf[REPS/2]/1e9, fi, tbd[REPS/2]*1e3, fl/tbd[REPS/2]/1e9, bdi, tbw[REPS/2]*1e3, fl/tbw[REPS/2]/1e9, bwi,
      bdw ? dnnl_memory_desc_equal(bdw, fw) : -1);
    fflush(stdout);
  }
  return 0;
}
