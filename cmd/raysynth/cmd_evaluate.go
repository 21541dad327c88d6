package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/raysynth/raysynth/internal/workspace"
	"github.com/raysynth/raysynth/train"
	"github.com/spf13/cobra"
)

type evaluateOptions struct {
	repeats, epochs, batch, size, patience, resamples, minSupport int
	lr, valFraction                                               float64
	seed                                                          uint64
	synthetic, testWorkspace, regimes                             string
	noAugment, json                                               bool
}

func (o *evaluateOptions) addFlags(c *cobra.Command) {
	f := c.Flags()
	f.IntVar(&o.repeats, "repeats", 3, "models per regime, each with its own seed (3 or more for a standard deviation worth reading)")
	f.IntVar(&o.epochs, "epochs", train.DefaultClassifierEpochs, "at most this many epochs per model")
	f.StringVar(&o.synthetic, "synthetic", train.SyntheticApproved, "synthetic set for regimes b and c: approved (passed the privacy gate) or candidates")
	f.StringVar(&o.testWorkspace, "test-workspace", "", "another ingested workspace to test on as an external test set (all its images)")
	f.StringVar(&o.regimes, "regimes", "a,b,c,d,e", "regimes to run: a real only, b real+synthetic balanced, c synthetic only, d class-weighted, e oversampled")
	f.IntVar(&o.batch, "batch", train.DefaultClassifierBatch, "images per step")
	f.IntVar(&o.size, "size", 0, "image size (default: the workspace's; larger images are averaged down)")
	f.Float64Var(&o.lr, "lr", train.DefaultClassifierLR, "Adam learning rate")
	f.Uint64Var(&o.seed, "seed", 1, "seed of the repeats' seeds and of the bootstrap")
	f.Float64Var(&o.valFraction, "val-fraction", train.DefaultValidationFraction, "share of train patients held out for early stopping")
	f.IntVar(&o.patience, "patience", train.DefaultPatience, "stop after this many epochs without a better validation loss (0: never)")
	f.BoolVar(&o.noAugment, "no-augment", false, "switch off augmentation (shifts, rotations, contrast)")
	f.IntVar(&o.resamples, "resamples", 2000, "paired bootstrap resamples for the significance of differences")
	f.IntVar(&o.minSupport, "min-support", 5, "fewest holdout images of a class for its metrics; smaller classes are marked n/a")
	f.BoolVar(&o.json, "json", false, "print the whole report as JSON on stdout instead of the table")
}

func newEvaluateCmd(g *globals) *cobra.Command {
	var o evaluateOptions
	c := &cobra.Command{
		Use:   "evaluate [flags]",
		Short: "Measure whether synthetic images help the classifier, class by class",
		Long: `Runs the experiment behind raysynth's claim on this hospital's data. For every repeat (its own
seed) it trains the classifier under five regimes:
  (a) real only                      (d) real, class-weighted loss
  (b) real + synthetic, balanced     (e) real, minority classes oversampled
  (c) synthetic only (train on synthetic, test on real)
and tests every model on the real holdout patients, never seen by a generator or a classifier
(and on --test-workspace). Synthetic data earns its place only where (b) beats (a), (d) and (e).

Reports per class sensitivity, specificity, precision, F1 and one-vs-rest ROC AUC; overall
accuracy, balanced accuracy and macro-F1; confusion matrices; mean ± sd over repeats; differences
between regimes with a paired bootstrap over holdout images and a plain statement of whether they
are beyond noise; and the synthetic set's fidelity and diversity per class in the classifier's own
embedding (a Fréchet distance that is not Inception's FID, and k-NN precision and recall).

Writes WORKSPACE/eval/report.json, report.md and sensitivity.png, and prints the table and the
findings. Each finished (regime, repeat) is kept in eval/runs: interrupted, run the same command
again and it continues where it stopped.`,
		Example: `  raysynth evaluate
  raysynth evaluate --repeats 5 --epochs 30 --synthetic candidates
  raysynth evaluate --test-workspace other-hospital-ws --json
  raysynth evaluate --regimes a,d,e     # no synthetic set yet`,
		GroupID: groupRelease,
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return runEvaluate(cmd.Context(), g, o) },
	}
	o.addFlags(c)
	return c
}

func runEvaluate(ctx context.Context, g *globals, o evaluateOptions) error {
	w, err := workspace.Open(g.workspace)
	if err != nil {
		return withHint(err, "create one with raysynth ingest --from FOLDER --labels FILE")
	}
	var tw *workspace.Workspace
	if o.testWorkspace != "" {
		if tw, err = workspace.Open(o.testWorkspace); err != nil {
			return withHint(err, "--test-workspace must be a folder made by raysynth ingest")
		}
	}
	var regimes []string
	for _, r := range strings.Split(o.regimes, ",") {
		if r = strings.TrimSpace(r); r != "" {
			regimes = append(regimes, r)
		}
	}
	if len(regimes) == 0 {
		return usageErrorf("--regimes lists no regime (use some of a,b,c,d,e)")
	}
	reporter, wait := g.newReporter()
	cfg := train.EvalConfig{Workspace: w, TestWorkspace: tw, Repeats: o.repeats, Epochs: o.epochs, Batch: o.batch, LR: o.lr,
		Seed: o.seed, Size: o.size, Synthetic: o.synthetic, Regimes: regimes, ValFraction: o.valFraction, Patience: o.patience,
		NoAugment: o.noAugment, Resamples: o.resamples, MinSupport: o.minSupport, CodeVersion: versionString(),
		Progress: reporter, Log: g.log}
	if err := cfg.Validate(); err != nil {
		return usageErrorf("%v", err)
	}
	rep, err := train.Evaluate(ctx, cfg)
	wait()
	if errors.Is(err, train.ErrNoSynthetic) {
		return withHint(err, "make candidates with raysynth synth and approve them with raysynth privacy, use --synthetic candidates,\nor run only the real-data regimes with --regimes a,d,e")
	}
	if err != nil {
		return err
	}
	dir := w.EvalDir()
	fmt.Fprintf(g.stderr, "raysynth: wrote %s, %s and %s (%.0f s, %d finished runs reused)\n",
		filepath.Join(dir, train.EvalReportMD), filepath.Join(dir, train.EvalReportJSON), filepath.Join(dir, train.EvalChart), rep.Seconds, rep.RunsReused)
	if o.json {
		return g.printJSON(rep)
	}
	fmt.Fprintf(g.stdout, "Holdout patients, mean ± sd over %d repeat(s):\n\n%s\nFindings:\n", rep.Repeats, rep.Table())
	for _, f := range rep.Findings {
		fmt.Fprintf(g.stdout, "- %s\n", f)
	}
	return nil
}
