package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"text/tabwriter"

	"github.com/raysynth/raysynth/internal/progress"
	"github.com/raysynth/raysynth/internal/workspace"
	"github.com/raysynth/raysynth/pipeline"
	"github.com/raysynth/raysynth/synth"
	"github.com/spf13/cobra"
)

type synthOptions struct {
	perClass   int
	balance    bool
	maxPerReal float64
	format     string
	seed       uint64
	classes    string
	json       bool
	precision  string
}

func (o *synthOptions) addFlags(c *cobra.Command) {
	f := c.Flags()
	f.IntVar(&o.perClass, "per-class", 0, "images to generate for every class")
	f.BoolVar(&o.balance, "balance", false, "generate for each class enough images to reach the largest class's train count")
	f.Float64Var(&o.maxPerReal, "max-per-real", 0, "at most this many images per train image of a class (0: no cap); a small class's release leaks more the larger it is (docs/privacy.md)")
	f.StringVar(&o.format, "format", "png", "output: png, dicom or both (a PNG is always written for the index; dicom and both add a Secondary Capture .dcm marked synthetic)")
	f.Uint64Var(&o.seed, "seed", 1, "seed of the latent vectors; the same checkpoints and seed give byte-identical images")
	f.StringVar(&o.classes, "classes", "all", "classes to generate: all, or a comma-separated list")
	f.BoolVar(&o.json, "json", false, "print the result as JSON on stdout")
}

func newSynthCmd(g *globals) *cobra.Command {
	var o synthOptions
	c := &cobra.Command{
		Use:     "synth (--per-class N | --balance) [flags]",
		Short:   "Generate synthetic X-rays from the trained generators",
		GroupID: groupTrain,
		Long: `Samples each class's trained generator (WORKSPACE/gan/<class>/checkpoint.ckpt) in eval mode and
writes the candidates to WORKSPACE/synth/candidates/<class>/<id>.png (and .dcm with --format dicom
or both) with WORKSPACE/synth/index.csv (image id, class, file, sha256, generator checkpoint
sha256, seed, sample number). The synth folder is built aside and replaced only when complete.
Candidates are not released as they are: raysynth privacy checks and approves them.`,
		Example: `  # top up every minority class to the size of the largest one, PNG and DICOM
  raysynth synth --balance --format both
  # 500 images per class with another seed
  raysynth synth --per-class 500 --seed 7 --json
  # 1800 per class, at most 6 per train film of a small class (104 films: 624)
  raysynth synth --per-class 1800 --max-per-real 6`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runSynth(cmd.Context(), g, o) },
	}
	o.addFlags(c)
	addPrecisionFlag(c, &o.precision)
	return c
}

func runSynth(ctx context.Context, g *globals, o synthOptions) error {
	if o.balance == (o.perClass > 0) {
		return usageErrorf("give exactly one of --per-class N (N > 0) and --balance")
	}
	if !(o.maxPerReal >= 0) || math.IsInf(o.maxPerReal, 1) {
		return usageErrorf("--max-per-real %v: want a number of at least 0 (0: no cap)", o.maxPerReal)
	}
	_, res, err := runStage(ctx, g, "create one with raysynth ingest, then raysynth train gan", func() (synth.Config, error) { return synthConfig(g, o) },
		func(c *synth.Config, w *workspace.Workspace, r progress.Reporter) { c.Workspace, c.Progress = w, r }, synth.Run, synthHint)
	if err != nil {
		return err
	}
	if o.json {
		printSynthWarnings(g, res)
		return g.printJSON(res)
	}
	printSynthResult(g, g.stdout, res)
	return nil
}

// synthConfig is synth's configuration from its options, without the workspace (run's synth
// stage uses it too).
func synthConfig(g *globals, o synthOptions) (synth.Config, error) {
	prec, err := resolvePrecision(g, o.precision)
	if err != nil {
		return synth.Config{}, err
	}
	return synth.Config{Precision: prec, Classes: splitList(o.classes), PerClass: o.perClass, Balance: o.balance, MaxPerReal: o.maxPerReal, Format: o.format,
		Seed: o.seed, CodeVersion: versionString(), Log: g.log}, nil
}

// runConfig is synth's part of run's pipeline configuration.
func (o *synthOptions) runConfig(_ context.Context, g *globals, cfg *pipeline.Config) (err error) {
	cfg.Options[pipeline.Synth] = *o
	cfg.Synth, err = synthConfig(g, *o)
	return err
}

// synthHint says what to do about a synth error.
func synthHint(err error) error {
	if errors.Is(err, synth.ErrNoGenerator) {
		return withHint(err, "train the missing generators first, or leave the class out with --classes")
	}
	return err
}

func printSynthWarnings(g *globals, res *synth.Result) {
	for _, c := range res.Classes {
		if c.Skipped != "" {
			fmt.Fprintf(g.stderr, "raysynth: warning: class %s not balanced: %s\n", c.Class, c.Skipped)
		}
	}
}

// printSynthResult prints the warnings, the table of classes on out (stdout; run: stderr) and
// where the candidates are.
func printSynthResult(g *globals, out io.Writer, res *synth.Result) {
	printSynthWarnings(g, res)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CLASS\tTRAIN IMAGES\tGENERATED\tTOTAL")
	for _, c := range res.Classes {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\n", c.Class, c.TrainCount, c.Generated, c.TrainCount+c.Generated)
	}
	tw.Flush()
	fmt.Fprintf(g.stderr, "raysynth: wrote %d candidates (seed %d) indexed in %s; next: raysynth privacy\n", res.Total, res.Seed, res.Index)
}
