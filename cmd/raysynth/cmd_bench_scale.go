package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/raysynth/raysynth/pipeline"
	"github.com/spf13/cobra"
)

type benchScaleOptions struct {
	images, candidates, size int
	dir                      string
	keep                     bool
	json                     bool
}

func (o *benchScaleOptions) addFlags(c *cobra.Command) {
	f := c.Flags()
	f.IntVar(&o.images, "images", 20000, "archive size: phantom films ingested (half the patients held out)")
	f.IntVar(&o.candidates, "candidates", 10000, "phantom films of other patients checked as synthetic candidates")
	f.IntVar(&o.size, "size", 64, "image side in pixels")
	f.StringVar(&o.dir, "dir", "", "working folder for the films and the workspace (default: a new folder under the system's temporary folder)")
	f.BoolVar(&o.keep, "keep", false, "keep the films and the workspace afterwards")
	f.BoolVar(&o.json, "json", false, "print the figures as JSON on stdout")
}

func newBenchScaleCmd(g *globals) *cobra.Command {
	var o benchScaleOptions
	c := &cobra.Command{
		Use:   "scale",
		Short: "Time every stage on an archive of N phantom films, with peak memory per stage",
		Long: `Makes N phantom chest films (internal/phantom, no GAN) and --candidates phantom films of other
patients, then runs ingest (half of the patients held out), the privacy suite against the train
and holdout splits with the candidates, and one epoch of classifier training. For each stage it
prints the wall time and the stage's own peak RSS (the peak is reset between stages). Use it to
check that memory depends on the block sizes, not on the archive.`,
		Example: `  raysynth bench scale
  raysynth bench scale --images 112120 --json      # the size of NIH ChestX-ray14`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runBenchScale(cmd.Context(), g, o) },
	}
	o.addFlags(c)
	return c
}

func runBenchScale(ctx context.Context, g *globals, o benchScaleOptions) error {
	dir := o.dir
	if dir == "" {
		d, err := os.MkdirTemp("", "raysynth-bench-scale-")
		if err != nil {
			return err
		}
		dir = d
		if !o.keep {
			defer os.RemoveAll(d)
		}
	}
	cfg := pipeline.ScaleConfig{Images: o.images, Candidates: o.candidates, Size: o.size, Dir: filepath.Clean(dir), Keep: o.keep, Seed: 1, Log: g.log}
	if err := cfg.Validate(); err != nil {
		return usageErrorf("%v", err)
	}
	rep, wait := g.newReporter()
	cfg.Progress = rep
	fmt.Fprintf(g.stderr, "raysynth: %d phantom films at %d×%d and %d candidates in %s…\n", o.images, o.size, o.size, o.candidates, dir)
	r, err := pipeline.BenchScale(ctx, cfg)
	wait()
	if err != nil {
		return err
	}
	if o.json {
		return g.printJSON(r)
	}
	fmt.Fprintf(g.stdout, "archive of %d films (%d train, %d holdout), %d candidates, %d×%d, %s, GOMAXPROCS %d\n",
		r.Images, r.Train, r.Holdout, r.Candidates, r.Size, r.Size, blasLabel(r.BLAS, r.BLASCore), r.GOMAXPROCS)
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "STAGE\tSECONDS\tCPU SECONDS\tPER SECOND\tPEAK RSS (MB)\t")
	for _, s := range r.Stages {
		fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t%.0f %s\t%.0f\t\n", s.Name, s.Seconds, s.CPUSeconds, float64(s.Items)/s.Seconds, s.Unit, float64(s.PeakRSSBytes)/1e6)
	}
	return tw.Flush()
}
