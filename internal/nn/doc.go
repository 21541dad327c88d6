// Package nn is the network engine the DCGAN and the classifier stand on: a small set of fused
// float32 layer operations (convolution, transposed convolution, dense, BatchNorm, LeakyReLU, ReLU,
// tanh, per-channel bias and the numerically stable GAN loss), each a gorgonia [gorgonia.Op] with
// its own gradient operations, so that gorgonia builds the graph, differentiates it symbolically
// ([gorgonia.Grad]) and runs it on its tape machine, while the heavy lifting is one OpenBLAS SGEMM
// (internal/blas) per tile of samples. Built with the dnnl tag, convolutions, transposed
// convolutions and weight gradients run through oneDNN's convolution primitives instead
// ([blas.Conv]) wherever they measured faster: one single-threaded primitive per fixed half of the
// batch, weight-gradient halves added in order.
//
// # Imports
//
// internal/blas of this module, and gorgonia. gorgonia types may leave this package only towards
// train (the owner of the networks); the architecture test enforces it.
//
// # Layout and invariants
//
//   - Activations are NHWC (batch, height, width, channels), row-major float32: a batch of feature
//     maps is then one matrix of B·H·W rows and C columns, so a convolution over the whole batch is
//     one im2col and one large GEMM per tile of samples, and per-channel parameters (BatchNorm
//     scale and shift, biases) have shape (1,1,1,C), the NHWC counterpart of (1,C,1,1).
//   - Convolution weights are (k·k·Cin, Cout) matrices in (ky, kx, c) row order; a transposed
//     convolution from Cs to Cb channels stores (k·k·Cb, Cs): it is the adjoint of the convolution
//     with the same weights, which is how its gradients are computed.
//   - Every operation owns its output buffer and reuses it from step to step; none implements
//     gorgonia's UsePreallocDoer, so the tape machine never writes into these buffers (the trap in
//     the field notes where node.Value() returns memory a later op overwrote cannot happen here).
//     Read results with [Value] right after [Machine.Run]. Do not feed an engine operation's output
//     into gorgonia's stock element-wise operations when you still need it: the tape machine lets
//     those overwrite their inputs in place (seen in this package's gradient test).
//   - Results do not depend on timing: work is split into fixed ranges and every reduction (weight
//     gradients, BatchNorm statistics, bias gradients) sums in a fixed order, so the same inputs
//     give bit-identical outputs on the same machine and GOMAXPROCS, which is what makes resumed
//     training end with the same weights as an uninterrupted run.
//   - Threads: call blas.SetThreads(1) (done by [NewGraph]); operations parallelise over rows or
//     samples with goroutines.
package nn
