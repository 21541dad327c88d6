package main

import (
	"errors"
	"fmt"

	"github.com/raysynth/raysynth/train"
	"github.com/spf13/cobra"
)

// addPrecisionFlag adds --precision to a command that runs the networks (train gan, train
// classifier, synth, bench gan). It is added beside the command's addFlags, not in it, so that
// run does not grow stage flags it does not pass on.
func addPrecisionFlag(c *cobra.Command, p *string) {
	c.Flags().StringVar(p, "precision", train.PrecisionAuto, "arithmetic of the networks' matrix products: auto (fp32: bf16 did not pass the quality check at full training length, docs/training.md), fp32, or bf16 (bfloat16 inputs, float32 accumulation, where the CPU has AVX512_BF16 or AMX and raysynth was built with oneDNN; weights, optimiser state, BatchNorm statistics and losses stay float32)")
}

// resolvePrecision turns --precision into the precision to run with, printing auto's one-line
// note when it falls back to fp32.
func resolvePrecision(g *globals, choice string) (train.Precision, error) {
	p, note, err := train.ResolvePrecision(choice)
	switch {
	case errors.Is(err, train.ErrBF16Unavailable):
		return p, withHint(err, "use --precision fp32 (or auto, which picks bf16 only where it runs); raysynth version --verbose names the bf16 backend")
	case err != nil:
		return p, usageErrorf("--precision: %v", err)
	}
	if note != "" {
		fmt.Fprintf(g.stderr, "raysynth: %s\n", note)
	}
	return p, nil
}
