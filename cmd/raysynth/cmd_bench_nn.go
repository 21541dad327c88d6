package main

import (
	"context"
	"fmt"

	"github.com/raysynth/raysynth/internal/blas"
	"github.com/raysynth/raysynth/privacy"
	"github.com/spf13/cobra"
)

type benchNNOptions struct {
	queries, refs, dim int
	gemmSize           int
	suite, oneGEMM     bool
	json               bool
}

func (o *benchNNOptions) addFlags(c *cobra.Command) {
	f := c.Flags()
	f.IntVar(&o.queries, "queries", 10000, "query vectors (synthetic images)")
	f.IntVar(&o.refs, "refs", 20000, "reference vectors (real images)")
	f.IntVar(&o.dim, "dim", 4096, "dimension (4096 = 64×64 pixels)")
	f.BoolVar(&o.suite, "suite", false, "also time the full privacy check suite: --queries synthetic against --refs train and --refs holdout random 64×64 images")
	f.BoolVar(&o.oneGEMM, "one-gemm", false, "one two-threaded OpenBLAS call per block instead of two single-threaded halves in goroutines (to compare)")
	f.IntVar(&o.gemmSize, "gemm-size", 1024, "n of the n×n×n products that measure the fp32 and bf16 matrix-product ceiling (0: skip)")
	f.BoolVar(&o.json, "json", false, "print the figures as JSON on stdout")
}

func newBenchNNCmd(g *globals) *cobra.Command {
	var o benchNNOptions
	c := &cobra.Command{
		Use:   "nn",
		Short: "Time the exact nearest-neighbour search of the privacy checks",
		Long: `Runs the exact k-nearest-neighbour search that raysynth privacy uses (‖a‖²+‖b‖²−2a·b with one
SGEMM per block of references, top-k per query, float64 re-rank) on random vectors and reports
seconds, GFLOP/s (2·queries·refs·dim operations) and peak RSS. With --suite it also times every
privacy check on random images. It also measures the matrix-product ceiling, float32 and bf16
(bf16 inputs, float32 accumulation) side by side, as the network engine calls them: the ceiling
that bench gan's GFLOP/s compares with. Other load on the machine makes the figures noisy.`,
		Example: `  raysynth bench nn
  raysynth bench nn --queries 2000 --refs 20000 --dim 4096 --json
  raysynth bench nn --suite --queries 10000 --refs 20000`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runBenchNN(cmd.Context(), g, o) },
	}
	o.addFlags(c)
	return c
}

func runBenchNN(ctx context.Context, g *globals, o benchNNOptions) error {
	cfg := privacy.BenchConfig{Queries: o.queries, Refs: o.refs, Dim: o.dim, Suite: o.suite, OneGEMM: o.oneGEMM, Seed: 1}
	if err := cfg.Validate(); err != nil {
		return usageErrorf("%v", err)
	}
	if o.gemmSize < 0 {
		return usageErrorf("--gemm-size %d: want 0 (skip) or more", o.gemmSize)
	}
	rep, wait := g.newReporter()
	cfg.Progress = rep
	fmt.Fprintf(g.stderr, "raysynth: exact search of %d queries against %d references, %d dimensions…\n", o.queries, o.refs, o.dim)
	r, err := privacy.BenchNN(ctx, cfg)
	wait()
	if err != nil {
		return err
	}
	rep2 := benchNNReport{BenchResult: r}
	if o.gemmSize > 0 {
		blas.SetThreads(1)
		c := blas.MeasureCeiling(o.gemmSize, 5)
		rep2.Ceiling = &c
	}
	if o.json {
		return g.printJSON(rep2)
	}
	blasName := blasLabel(r.BLAS, r.BLASCore)
	mode := "two 1-thread GEMMs per block"
	if r.OneGEMM {
		mode = "one 2-thread GEMM per block"
	}
	fmt.Fprintf(g.stdout, "exact search %d × %d × %d, %s, %s, GOMAXPROCS %d\n", r.Queries, r.Refs, r.Dim, blasName, mode, r.GOMAXPROCS)
	fmt.Fprintf(g.stdout, "seconds:   %.2f\nGFLOP/s:   %.0f\n", r.SearchSeconds, r.GFLOPS)
	if o.suite {
		fmt.Fprintf(g.stdout, "check suite (%d S vs %d T and %d H, 64×64): %.1f s, peak RSS %.0f MB\n", r.Queries, r.Refs, r.Refs, r.SuiteSeconds, float64(r.SuitePeakRSSBytes)/1e6)
	}
	if c := rep2.Ceiling; c != nil {
		fmt.Fprintf(g.stdout, "matrix-product ceiling (%d³, %d goroutines, 1-thread calls; per CPU-second in brackets):\n", c.N, c.Workers)
		fmt.Fprintf(g.stdout, "  fp32: %4.0f GFLOP/s (%.0f)   %s\n", c.FP32GFLOPS, c.FP32CPUGFLOPS, blasName)
		fmt.Fprintf(g.stdout, "  bf16: %4.0f GFLOP/s (%.0f)   %s\n", c.BF16GFLOPS, c.BF16CPUGFLOPS, c.BF16)
	}
	fmt.Fprintf(g.stdout, "peak RSS:  %.0f MB\n", float64(r.PeakRSSBytes)/1e6)
	return nil
}

// benchNNReport is bench nn's JSON: the search's figures and the matrix-product ceiling.
type benchNNReport struct {
	*privacy.BenchResult
	Ceiling *blas.Ceiling `json:"gemm_ceiling,omitempty"`
}
