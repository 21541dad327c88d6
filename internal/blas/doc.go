// Package blas is the single-precision matrix multiply that the network engine and the exact
// nearest-neighbour search stand on. Built with the "openblas" tag (the Makefile adds it when
// Debian's libopenblas-dev is installed) it calls OpenBLAS's cblas_sgemm through cgo; without the
// tag it falls back to gonum's pure-Go SGEMM, which gives the same results, several times slower.
//
// Built with the "dnnl" tag as well, it also runs convolutions through oneDNN's convolution
// primitives ([Conv]: forward, backward data and backward weights on NHWC maps, float32 or
// bfloat16 inputs, float32 results); without it [Conv] reports false and the caller multiplies
// im2col matrices instead.
//
// # Invariants
//
//   - Matrices are row-major float32 slices; [Sgemm] computes C = alpha·op(A)·op(B) + beta·C.
//   - [Backend] names the implementation compiled in, so the binary can say which one runs.
//   - Imports nothing of this module.
//   - Every oneDNN call is single-threaded (one primitive per part of the batch, parts run by the
//     caller's goroutines, [ConvLanes] fixed parts), so results do not depend on GOMAXPROCS.
//
// # Threads
//
// OpenBLAS keeps its own thread pool. Callers that parallelise over a batch in Go should call
// [SetThreads](1) first: two thread pools on two cores fight. OPENBLAS_CORETYPE is read when the
// library loads, so it must be in the environment before the process starts (cmd re-executes
// itself to set it on CPUs that OpenBLAS 0.3.21 misdetects).
package blas
