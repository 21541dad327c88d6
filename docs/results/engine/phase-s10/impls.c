// List oneDNN 2.6 implementations for the DCGAN layers' three passes (nhwc, weights any), fp32 and bf16.
#include <stdio.h>
#include <string.h>
#include <oneapi/dnnl/dnnl.h>
static dnnl_engine_t eng;
static void list(int pass, int bf, int mb, int h, int c, int cs) {
  int ho = h / 2;
  dnnl_dims_t bd = {mb, c, h, h}, sd = {mb, cs, ho, ho}, wd = {cs, c, 4, 4}, st = {2, 2}, pl = {1, 1}, pr = {1, 1};
  dnnl_data_type_t dt = bf ? dnnl_bf16 : dnnl_f32;
  dnnl_memory_desc_t big, small, bigf, smallf, w, wf;
  dnnl_memory_desc_init_by_tag(&big, 4, bd, dt, dnnl_nhwc);
  dnnl_memory_desc_init_by_tag(&small, 4, sd, dt, dnnl_nhwc);
  dnnl_memory_desc_init_by_tag(&bigf, 4, bd, dnnl_f32, dnnl_nhwc);
  dnnl_memory_desc_init_by_tag(&smallf, 4, sd, dnnl_f32, dnnl_nhwc);
  dnnl_memory_desc_init_by_tag(&w, 4, wd, dt, dnnl_format_tag_any);
  dnnl_memory_desc_init_by_tag(&wf, 4, wd, dnnl_f32, dnnl_format_tag_any);
  dnnl_convolution_desc_t fd, d;
  dnnl_convolution_forward_desc_init(&fd, dnnl_forward_training, dnnl_convolution_direct, &big, &w, NULL, &smallf, st, pl, pr);
  dnnl_primitive_desc_t hint; dnnl_primitive_desc_create(&hint, &fd, NULL, eng, NULL);
  const void *op = &fd;
  if (pass == 1) { dnnl_convolution_backward_data_desc_init(&d, dnnl_convolution_direct, &bigf, &w, &small, st, pl, pr); op = &d; }
  if (pass == 2) { dnnl_convolution_backward_weights_desc_init(&d, dnnl_convolution_direct, &big, &wf, NULL, &small, st, pl, pr); op = &d; }
  dnnl_primitive_desc_iterator_t it;
  if (dnnl_primitive_desc_iterator_create(&it, op, NULL, eng, pass ? hint : NULL)) { printf("no iterator\n"); return; }
  printf("%s pass %d %dx%dx%d<->%dx%dx%d mb%d:", bf ? "bf16" : "fp32", pass, h, h, c, ho, ho, cs, mb);
  do {
    dnnl_primitive_desc_t pd = dnnl_primitive_desc_iterator_fetch(it);
    const char *impl; dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
    printf(" %s", impl); dnnl_primitive_desc_destroy(pd);
  } while (dnnl_primitive_desc_iterator_next(it) == dnnl_success);
  printf("\n");
}
int main(void) {
  dnnl_engine_create(&eng, dnnl_cpu, 0);
  int L[4][3] = {{64, 1, 32}, {32, 32, 64}, {16, 64, 128}, {8, 128, 256}};
  for (int bf = 0; bf < 2; bf++) for (int p = 0; p < 3; p++) for (int l = 0; l < 4; l++) list(p, bf, 32, L[l][0], L[l][1], L[l][2]);
}
