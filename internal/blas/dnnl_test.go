//go:build dnnl && cgo

package blas

import (
	"os"
	"strings"
	"testing"
)

// TestDNNLRunsTheProducts makes sure the bf16 products of a dnnl build go through oneDNN, not
// the reference, and that a CPU with AVX512_BF16 is recognised.
func TestDNNLRunsTheProducts(t *testing.T) {
	cpuinfo, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		t.Fatal(err)
	}
	if hw := strings.Contains(string(cpuinfo), " avx512_bf16"); hw != HasBF16() {
		t.Fatalf("HasBF16() = %v, /proc/cpuinfo lists avx512_bf16: %v (%s)", HasBF16(), hw, BF16Backend())
	}
	a := make([]float32, 64*32)
	c := make([]float32, 64*64)
	GemmBF16(false, true, 64, 64, 32, 1, a, 32, a, 32, 0, c, 64)
	if primitive(mmKey{m: 64, n: 64, k: 32, ldc: 64, tb: true, alpha: 1}) == nil {
		t.Fatalf("oneDNN has no bf16 matmul here (%s): products ran on the reference", BF16Backend())
	}
}
