package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/raysynth/raysynth/internal/blas"
	"github.com/raysynth/raysynth/train"
	"github.com/spf13/cobra"
)

type benchGANOptions struct {
	size, steps, genBatches int
	batches                 []int
	recipes                 []string
	json                    bool
	precision               string
}

func (o *benchGANOptions) addFlags(c *cobra.Command) {
	f := c.Flags()
	f.IntVar(&o.size, "size", 64, "image size (power of two, 16 to 256)")
	f.IntSliceVar(&o.batches, "batch", []int{32, 64}, "batch sizes to time, one run each (e.g. --batch 32,64)")
	f.IntVar(&o.steps, "steps", 10, "timed D+G training steps (after one warm-up step)")
	f.IntVar(&o.genBatches, "gen-batches", 10, "timed eval-mode generation batches")
	f.StringSliceVar(&o.recipes, "recipe", []string{train.DefaultRecipe}, "training recipes to time: "+strings.Join(train.Recipes, ", ")+" (augmentation and the moving average are part of its step); several (e.g. --recipe dcgan,augmented) are timed one right after the other at each batch size, and each later one is reported as a share of the first's step")
	f.BoolVar(&o.json, "json", false, "print the figures as JSON on stdout")
}

func newBenchGANCmd(g *globals) *cobra.Command {
	var o benchGANOptions
	c := &cobra.Command{
		Use:   "gan",
		Short: "Time DCGAN training steps and generation on random data",
		Long: `Builds the default DCGAN on random data and reports, for each batch size, the median seconds
per D+G step, real images per second, generated images per second (eval mode), GFLOP/s of matrix
work, peak RSS and the BLAS in use. Around every run it measures the matrix-product ceiling in the
same process (bench nn's block shape, one single-threaded SGEMM per core) and reports the step's
fraction of it, by wall time and by CPU time, and the projected minutes for 5,000 steps. With
--precision auto on a machine that runs bf16, every batch size is timed in fp32 and in bf16 side
by side, and the bf16 step's share of the fp32 step is reported; --recipe dcgan,augmented does the
same for the training recipes. Other load on the machine makes the wall-time figures noisy: run
it on a quiet machine, or compare CPU times.`,
		Example: `  raysynth bench gan
  raysynth bench gan --batch 64 --size 128 --steps 5 --json
  raysynth bench gan --batch 64 --recipe dcgan,augmented`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runBenchGAN(cmd.Context(), g, o) },
	}
	o.addFlags(c)
	addPrecisionFlag(c, &o.precision)
	return c
}

func runBenchGAN(ctx context.Context, g *globals, o benchGANOptions) error {
	prec, err := resolvePrecision(g, o.precision)
	if err != nil {
		return err
	}
	precs := []train.Precision{prec}
	if (o.precision == "" || o.precision == train.PrecisionAuto) && blas.HasBF16() {
		precs = []train.Precision{train.FP32, train.BF16} // side by side: what bf16 gains here
	}
	cfg := train.BenchSuiteConfig{BenchConfig: train.BenchConfig{Size: o.size, Steps: o.steps, GenBatches: o.genBatches, Seed: 1},
		Batches: o.batches, Precisions: precs, Recipes: o.recipes}
	if err := cfg.Validate(); err != nil {
		return usageErrorf("%v", err)
	}
	fmt.Fprintf(g.stderr, "raysynth: benchmarking a %d×%d DCGAN (recipe %s), batch %s, %d steps…\n", o.size, o.size, strings.Join(o.recipes, ","), joinInts(o.batches), o.steps)
	s, err := train.BenchGANSuite(ctx, cfg)
	if err != nil {
		return err
	}
	if o.json {
		return g.printJSON(s)
	}
	for _, r := range s.Runs {
		blasName := blasLabel(r.BLAS, r.BLASCore)
		fmt.Fprintf(g.stdout, "DCGAN %d×%d, recipe %s, batch %d, %d parameters, %s, precision %s, GOMAXPROCS %d\n", r.Size, r.Size, r.Recipe, r.Batch, r.Params, blasName, r.Precision, r.GOMAXPROCS)
		fmt.Fprintf(g.stdout, "D+G step (median of %d):  %.3f s   %.0f real img/s   %.1f GFLOP/step   %.1f GFLOP/s\n",
			r.Steps, r.SecondsPerStep, r.RealImagesPerS, r.GFLOPPerStep, r.GFLOPS)
		fmt.Fprintf(g.stdout, "CPU time per step:        %.3f s (user+system; the wall time above depends on other load)\n", r.CPUPerStep)
		fmt.Fprintf(g.stdout, "matrix-product ceiling:   %.1f GFLOP/s in this run: the step reaches %.0f%% (by CPU time %.0f%%)\n",
			r.CeilingGFLOPS, 100*r.CeilingFraction, 100*r.CPUCeilingFraction)
		fmt.Fprintf(g.stdout, "5,000 steps:              %.1f min at this speed (mean step with the moving average %.3f s)\n", r.Minutes5000Steps, r.MeanSecondsPerStep)
		fmt.Fprintf(g.stdout, "generation (eval mode):   %.4f s per %d   %.0f img/s   (CPU %.4f s per %d)\n", r.GenBatchSeconds, r.Batch, r.GenImagesPerS, r.GenCPUPerBatch, r.Batch)
		fmt.Fprintf(g.stdout, "peak RSS:                 %.0f MB\n", float64(r.PeakRSSBytes)/1e6)
		if r.FP32StepShare > 0 {
			fmt.Fprintf(g.stdout, "bf16 against fp32:        %.2f× the fp32 step (by CPU time %.2f×), measured side by side\n", r.FP32StepShare, r.FP32CPUStepShare)
		}
		if r.BaseRecipe != "" {
			fmt.Fprintf(g.stdout, "against recipe %s:%s %.2f× its step by CPU time (by wall time %.2f×), measured side by side\n",
				r.BaseRecipe, strings.Repeat(" ", max(0, 9-len(r.BaseRecipe))), r.BaseCPUStepShare, r.BaseStepShare)
		}
	}
	return nil
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ",")
}
