package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"text/tabwriter"

	"github.com/raysynth/raysynth/internal/progress"
	"github.com/raysynth/raysynth/internal/workspace"
	"github.com/raysynth/raysynth/pipeline"
	"github.com/raysynth/raysynth/train"
	"github.com/spf13/cobra"
)

type trainClassifierOptions struct {
	epochs, batch, size, patience int
	lr, valFraction               float64
	seed                          uint64
	classWeighted, oversample     bool
	withSynthetic                 string
	noAugment, restart, json      bool
	precision                     string
}

func (o *trainClassifierOptions) addFlags(c *cobra.Command) {
	f := c.Flags()
	f.IntVar(&o.epochs, "epochs", train.DefaultClassifierEpochs, "at most this many epochs (passes over the training images)")
	f.IntVar(&o.batch, "batch", train.DefaultClassifierBatch, "images per step")
	f.IntVar(&o.size, "size", 0, "image size to train at (default: the workspace's; larger images are averaged down)")
	f.Float64Var(&o.lr, "lr", train.DefaultClassifierLR, "Adam learning rate")
	f.Uint64Var(&o.seed, "seed", 1, "seed of weights, validation split, shuffling, augmentation and dropout")
	f.BoolVar(&o.classWeighted, "class-weighted", false, "weight the loss of each class by N/(classes·n_class)")
	f.BoolVar(&o.oversample, "oversample", false, "repeat minority-class images up to the majority count each epoch")
	f.StringVar(&o.withSynthetic, "with-synthetic", "", "also train on a synthetic set: approved (privacy-approved) or candidates (everything synth made)")
	f.Float64Var(&o.valFraction, "val-fraction", train.DefaultValidationFraction, "share of train patients held out for early stopping (never the holdout split)")
	f.IntVar(&o.patience, "patience", train.DefaultPatience, "stop after this many epochs without a better validation loss (0: never stop early)")
	f.BoolVar(&o.noAugment, "no-augment", false, "switch off the small shifts, rotations and contrast changes (there are never flips)")
	f.BoolVar(&o.restart, "restart", false, "discard a checkpoint made with other settings and start over")
	f.BoolVar(&o.json, "json", false, "print the summary as JSON on stdout")
}

func newTrainClassifierCmd(g *globals) *cobra.Command {
	var o trainClassifierOptions
	c := &cobra.Command{
		Use:   "classifier [flags]",
		Short: "Train the CNN classifier on the real train split (optionally plus synthetic images)",
		Long: `Trains a convolutional classifier for the workspace's classes: blocks of 3×3 convolution,
BatchNorm, ReLU and 2×2 max pooling, a 128-unit embedding layer, dropout and softmax; Adam. It
reads only the real train split (never the holdout), optionally plus a synthetic set, and stops
early on a validation subset carved from the train patients (whole patients, stratified by class).
Augmentation is light and respects anatomy: small shifts and rotations and contrast changes, never
horizontal flips (the heart is on the left).

Writes WORKSPACE/classifier/classifier.ckpt (the best validation epoch), summary.json and
checkpoint.ckpt (training state after every epoch). Interrupted? Run the same command again: it
resumes from the last finished epoch and ends with the same weights as an uninterrupted run.
The classifier's penultimate layer is the image embedding that raysynth privacy and raysynth
evaluate use.`,
		Example: `  raysynth train classifier
  raysynth train classifier --class-weighted --epochs 30
  raysynth train classifier --with-synthetic approved --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runTrainClassifier(cmd.Context(), g, o) },
	}
	o.addFlags(c)
	addPrecisionFlag(c, &o.precision)
	return c
}

func runTrainClassifier(ctx context.Context, g *globals, o trainClassifierOptions) error {
	w, sum, err := runStage(ctx, g, noWorkspaceHint, func() (train.ClassifierConfig, error) { return classifierConfig(g, o) },
		func(c *train.ClassifierConfig, w *workspace.Workspace, r progress.Reporter) {
			c.Workspace, c.Progress = w, r
		}, train.TrainClassifier, classifierHint)
	if err != nil {
		return err
	}
	if o.json {
		return g.printJSON(sum)
	}
	printClassifierSummary(g.stdout, w, sum)
	return nil
}

// classifierConfig is train classifier's configuration from its options, without the workspace
// (run's classifier stage uses it too).
func classifierConfig(g *globals, o trainClassifierOptions) (train.ClassifierConfig, error) {
	prec, err := resolvePrecision(g, o.precision)
	if err != nil {
		return train.ClassifierConfig{}, err
	}
	return train.ClassifierConfig{Precision: prec, Epochs: o.epochs, Batch: o.batch, LR: o.lr, Seed: o.seed, Size: o.size,
		ClassWeighted: o.classWeighted, Oversample: o.oversample, WithSynthetic: o.withSynthetic, ValFraction: o.valFraction,
		Patience: o.patience, NoAugment: o.noAugment, Restart: o.restart, CodeVersion: versionString(), Log: g.log}, nil
}

// runConfig is train classifier's part of run's pipeline configuration.
func (o *trainClassifierOptions) runConfig(_ context.Context, g *globals, cfg *pipeline.Config) (err error) {
	cfg.ClassifierSynthetic, cfg.Options[pipeline.Classifier] = o.withSynthetic, *o
	cfg.Classifier, err = classifierConfig(g, *o)
	return err
}

// classifierHint says what to do about a train classifier error.
func classifierHint(err error) error {
	switch {
	case errors.Is(err, train.ErrCheckpointMismatch):
		return withHint(err, "use the settings of the existing run, or add --restart to train from scratch")
	case errors.Is(err, train.ErrNoSynthetic):
		return withHint(err, "make candidates with raysynth synth (and approve them with raysynth privacy), or leave out --with-synthetic")
	}
	return err
}

// printClassifierSummary prints the images per class and the best epoch on out (stdout; run:
// stderr).
func printClassifierSummary(out io.Writer, w *workspace.Workspace, sum *train.ClassifierSummary) {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CLASS\tTRAIN REAL\tTRAIN SYNTHETIC\tVALIDATION")
	for _, c := range sum.Classes {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\n", c, sum.TrainReal[c], sum.TrainSynth[c], sum.Validation[c])
	}
	tw.Flush()
	state := "trained"
	if sum.Resumed {
		state = "resumed"
	}
	fmt.Fprintf(out, "%s: %d epochs run, best epoch %d (validation loss %s, balanced accuracy %s)\n",
		state, sum.EpochsRun, sum.BestEpoch, sum.Best.ValLoss.Format(3), sum.Best.ValBAcc.Format(3))
	fmt.Fprintf(out, "model: %s\n", filepath.Join(w.ClassifierDir(), sum.Model))
}
