package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/raysynth/raysynth/evaluate"
	"github.com/raysynth/raysynth/internal/progress"
	"github.com/raysynth/raysynth/internal/workspace"
	"github.com/raysynth/raysynth/pipeline"
	"github.com/raysynth/raysynth/train"
	"github.com/spf13/cobra"
)

type evaluateOptions struct {
	repeats, repeat, epochs, batch, size, patience, resamples, minSupport int
	lr, valFraction, synthPerReal                                         float64
	seed                                                                  uint64
	synthetic, testWorkspace, regimes, rebalance, mix                     string
	noAugment, json, keepModels                                           bool
}

func (o *evaluateOptions) addFlags(c *cobra.Command) {
	f := c.Flags()
	f.IntVar(&o.repeats, "repeats", 3, "models per regime, each with its own seed (3 or more for a standard deviation worth reading)")
	f.IntVar(&o.repeat, "repeat", 0, "train only this repeat (1 to --repeats) and write no report: repeats in parallel processes, then one run without it writes the report")
	f.IntVar(&o.epochs, "epochs", train.DefaultClassifierEpochs, "at most this many epochs per model")
	f.StringVar(&o.synthetic, "synthetic", train.SyntheticApproved, "synthetic set for regimes b and c: approved (passed the privacy gate) or candidates")
	f.Float64Var(&o.synthPerReal, "synthetic-per-real", 0, "regime b: at most this many synthetic images per real train image of a class (0: top up to the majority); --b-mix equal: this many per real example in every class")
	f.StringVar(&o.mix, "b-mix", evaluate.MixTopUp, "regime b: topup (classes topped up to the majority with synthetic images) or equal (real oversampled as in e, plus as many synthetic images in every class)")
	f.StringVar(&o.rebalance, "b-rebalance", "none", "regime b, topup: what evens out the classes after the top-up: none, weighted (class-weighted loss) or oversample")
	f.BoolVar(&o.keepModels, "keep-models", false, "keep every model it trains in eval/runs (NAME.model); reused runs stay reused")
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

Reports per class sensitivity, specificity, precision, F1, ROC AUC; accuracy, balanced accuracy,
macro-F1; mean ± sd over repeats; paired-bootstrap differences, beyond noise or not; fidelity and
diversity per class in the classifier's embedding (Fréchet distance, k-NN precision and recall).

Writes WORKSPACE/eval/report.json, report.md and sensitivity.png and prints the table and the
findings; finished (regime, repeat) runs are kept in eval/runs, so a rerun continues.`,
		Example: `  raysynth evaluate --repeats 5 --epochs 30 --synthetic candidates
  raysynth evaluate --test-workspace other-hospital-ws --json
  raysynth evaluate --regimes a,d,e     # no synthetic set yet
  raysynth evaluate --b-mix equal       # (b) with the same synthetic share in every class`,
		GroupID: groupRelease,
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return runEvaluate(cmd.Context(), g, o) },
	}
	o.addFlags(c)
	c.AddCommand(newDPCurveCmd(g))
	return c
}

func newDPCurveCmd(g *globals) *cobra.Command {
	var out string
	var asJSON bool
	c := &cobra.Command{
		Use:   "dp-curve WORKSPACE... [flags]",
		Short: "Put evaluations of generators trained at several DP budgets on one utility curve",
		Long: `Reads the evaluation (eval/report.json) and the generators (gan/*/summary.json) of the
--workspace (usually the one trained without differential privacy) and of every WORKSPACE given
(the same ingested workspace copied once per ε, its GANs trained with --dp-epsilon, then synth
and evaluate with the same settings), and reports per class, against ε: sensitivity on the
holdout patients with real + synthetic (b) and synthetic only (c), the difference (b) − (a) with
its bootstrap interval and whether it is beyond noise, and the Fréchet distance of the synthetic
images to the holdout (with real train images' distance as the floor).

Refuses workspaces whose train or holdout images differ (a curve over different splits would
mix the budget with the data); notes differing evaluation or GAN settings.

Writes dp-curve.md, dp-curve.json, dp-curve-sensitivity.png and dp-curve-frechet.png to
--out (default: the --workspace's eval folder) and prints the table.`,
		Example: `  # one ingested workspace, copied once per budget (same patient split)
  for e in 1 4 8; do cp -r kermany kermany-dp$e; done
  for e in 1 4 8; do
    raysynth --workspace kermany-dp$e train gan --dp-epsilon $e --epochs 20 --restart
    raysynth --workspace kermany-dp$e synth --per-class 1800
    raysynth --workspace kermany-dp$e evaluate --synthetic candidates
  done
  raysynth --workspace kermany evaluate dp-curve kermany-dp1 kermany-dp4 kermany-dp8
  raysynth --workspace kermany evaluate dp-curve kermany-dp* --json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDPCurve(g, append([]string{g.workspace}, args...), out, asJSON)
		},
	}
	c.Flags().StringVar(&out, "out", "", "folder for the curve's files (default WORKSPACE/eval)")
	c.Flags().BoolVar(&asJSON, "json", false, "print the curve as JSON on stdout instead of the table")
	return c
}

func runDPCurve(g *globals, dirs []string, out string, asJSON bool) error {
	var points []*evaluate.DPCurvePoint
	for _, d := range dirs {
		w, err := workspace.Open(d)
		if err != nil {
			return withHint(err, "each WORKSPACE must be a folder made by raysynth ingest, with trained GANs and an evaluation")
		}
		p, err := evaluate.LoadDPCurvePoint(w)
		if errors.Is(err, fs.ErrNotExist) {
			return withHint(err, "run raysynth train gan, synth and evaluate in "+d+" first")
		}
		if err != nil {
			return err
		}
		points = append(points, p)
	}
	curve, err := evaluate.BuildDPCurve(points)
	if err != nil {
		return err
	}
	if out == "" {
		out = filepath.Join(g.workspace, "eval")
	}
	if err := evaluate.WriteDPCurve(out, curve); err != nil {
		return err
	}
	fmt.Fprintf(g.stderr, "raysynth: wrote %s, %s, %s and %s\n", filepath.Join(out, evaluate.DPCurveMD), filepath.Join(out, evaluate.DPCurveJSON),
		filepath.Join(out, evaluate.DPCurveChartSen), filepath.Join(out, evaluate.DPCurveChartFD))
	if asJSON {
		return g.printJSON(curve)
	}
	fmt.Fprint(g.stdout, curve.Markdown())
	return nil
}

func runEvaluate(ctx context.Context, g *globals, o evaluateOptions) error {
	w, rep, err := runStage(ctx, g, noWorkspaceHint, func() (evaluate.Config, error) { return evaluateConfig(g, o) },
		func(c *evaluate.Config, w *workspace.Workspace, r progress.Reporter) { c.Workspace, c.Progress = w, r }, evaluate.Run, evaluateHint)
	if err != nil {
		return err
	}
	if rep == nil { // --repeat: that repeat's runs only
		fmt.Fprintf(g.stderr, "raysynth: repeat %d of %d finished (runs in %s); run evaluate without --repeat to write the report\n",
			o.repeat, o.repeats, filepath.Join(w.EvalDir(), evaluate.EvalRunsDir))
		return nil
	}
	printEvaluateWritten(g, w, rep)
	if o.json {
		return g.printJSON(rep)
	}
	printEvaluateReport(g.stdout, rep)
	return nil
}

// evaluateConfig is evaluate's configuration from its options, without the workspace (run's
// evaluate stage uses it too).
func evaluateConfig(g *globals, o evaluateOptions) (evaluate.Config, error) {
	var tw *workspace.Workspace
	if o.testWorkspace != "" {
		var err error
		if tw, err = workspace.Open(o.testWorkspace); err != nil {
			return evaluate.Config{}, withHint(err, "--test-workspace must be a folder made by raysynth ingest")
		}
	}
	var regimes []string
	for _, r := range strings.Split(o.regimes, ",") {
		if r = strings.TrimSpace(r); r != "" {
			regimes = append(regimes, r)
		}
	}
	if len(regimes) == 0 {
		return evaluate.Config{}, usageErrorf("--regimes lists no regime (use some of a,b,c,d,e)")
	}
	rebalance := o.rebalance
	if rebalance == "none" {
		rebalance = ""
	}
	return evaluate.Config{TestWorkspace: tw, Repeats: o.repeats, Epochs: o.epochs, Batch: o.batch, LR: o.lr,
		Seed: o.seed, Size: o.size, Synthetic: o.synthetic, SyntheticPerReal: o.synthPerReal, BalancedRebalance: rebalance, BalancedMix: o.mix, KeepModels: o.keepModels, OnlyRepeat: o.repeat, Regimes: regimes, ValFraction: o.valFraction, Patience: o.patience,
		NoAugment: o.noAugment, Resamples: o.resamples, MinSupport: o.minSupport, CodeVersion: versionString(), Log: g.log}, nil
}

// runConfig is evaluate's part of run's pipeline configuration, with what its fingerprint reads
// besides the workspace.
func (o *evaluateOptions) runConfig(_ context.Context, g *globals, cfg *pipeline.Config) (err error) {
	cfg.EvaluateCandidates = o.synthetic == train.SyntheticCandidates
	cfg.EvaluateTestWorkspace, cfg.Options[pipeline.Evaluate] = o.testWorkspace, *o
	cfg.Evaluate, err = evaluateConfig(g, *o)
	return err
}

// evaluateHint says what to do about an evaluate error.
func evaluateHint(err error) error {
	if errors.Is(err, train.ErrNoSynthetic) {
		return withHint(err, "make candidates with raysynth synth and approve them with raysynth privacy, use --synthetic candidates,\nor run only the real-data regimes with --regimes a,d,e")
	}
	return err
}

// printEvaluateWritten says on stderr where the report is.
func printEvaluateWritten(g *globals, w *workspace.Workspace, rep *evaluate.Report) {
	dir := w.EvalDir()
	fmt.Fprintf(g.stderr, "raysynth: wrote %s, %s and %s (%.0f s, %d finished runs reused)\n",
		filepath.Join(dir, evaluate.EvalReportMD), filepath.Join(dir, evaluate.EvalReportJSON), filepath.Join(dir, evaluate.EvalChart), rep.Seconds, rep.RunsReused)
}

// printEvaluateReport prints the table of regimes and the findings on out (stdout; run: stderr).
func printEvaluateReport(out io.Writer, rep *evaluate.Report) {
	fmt.Fprintf(out, "Holdout patients, mean ± sd over %d repeat(s):\n\n%s\nFindings:\n", rep.Repeats, rep.Table())
	for _, f := range rep.Findings {
		fmt.Fprintf(out, "- %s\n", f)
	}
}
