package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/raysynth/raysynth/internal/progress"
	"github.com/raysynth/raysynth/internal/workspace"
	"github.com/raysynth/raysynth/pipeline"
	"github.com/raysynth/raysynth/train"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

type trainGANOptions struct {
	classes         string
	epochs          int
	steps           int
	recipe          string
	emaDecay        float64
	sampleEMA       bool
	batch           int
	size            int
	lr, beta1       float64
	seed            uint64
	checkpointEvery int
	sampleEvery     int
	minImages       int
	restart         bool
	json            bool
	precision       string
	init            string
	pooledSteps     int

	dpEpsilon, dpNoise, dpDelta, dpClip, dpSamplingRate float64
	dpMaxFilms                                          int
	dp                                                  *train.DPConfig
}

func (o *trainGANOptions) addFlags(c *cobra.Command) {
	f := c.Flags()
	f.StringVar(&o.classes, "classes", "all", "classes to train: all, or a comma-separated list")
	f.IntVar(&o.epochs, "epochs", 0, "training epochs per class (passes over its train images), instead of --steps")
	f.IntVar(&o.steps, "steps", 0, "D+G training steps per class (default without --epochs: 30 epochs' worth, at least 2,000 and at most 6,000; with DP: 25 epochs)")
	f.StringVar(&o.recipe, "recipe", train.DefaultRecipe, "training recipe: "+strings.Join(train.Recipes, " or ")+" (augmented: differentiable augmentation of every image the discriminator sees; dcgan: the published DCGAN)")
	f.Float64Var(&o.emaDecay, "ema-decay", train.DefaultEMADecay, "decay of the moving average of the generator's weights kept in the checkpoint (0: none)")
	f.BoolVar(&o.sampleEMA, "sample-ema", false, "generators sample the moving average instead of the last weights (changing it later needs no retraining)")
	f.IntVar(&o.batch, "batch", 64, "batch size (a class with fewer train images uses all of them per step)")
	f.IntVar(&o.size, "size", 0, "image size: a power of two from 16 to 256 (default: the workspace's); workspace images are averaged down to it")
	f.Float64Var(&o.lr, "lr", 2e-4, "Adam learning rate")
	f.Float64Var(&o.beta1, "beta1", 0.5, "Adam beta1")
	f.Uint64Var(&o.seed, "seed", 1, "seed of weights, shuffling and latent vectors")
	f.IntVar(&o.checkpointEvery, "checkpoint-every", 1, "epochs between checkpoints (with a step budget, at least 500 steps apart; one is always written at the end)")
	f.IntVar(&o.sampleEvery, "sample-every", 0, "epochs between sample grids (default: about five per run)")
	f.StringVar(&o.init, "init", train.InitScratch, "how each class's generator starts: "+strings.Join(train.Inits, " or ")+" (pooled: from one generator trained first on every class's train films for --pooled-steps, in WORKSPACE/"+train.PooledDir+"/; then --steps fine-tunes it per class; not with --dp-epsilon)")
	f.IntVar(&o.pooledSteps, "pooled-steps", train.DefaultPooledSteps, "with --init pooled: D+G steps of the pooled generator (kept and resumed across runs)")
	f.IntVar(&o.minImages, "min-images", 20, "classes with fewer train images are skipped and reported (a GAN on fewer memorises or makes noise)")
	f.BoolVar(&o.restart, "restart", false, "discard existing checkpoints of these classes and start over")
	f.BoolVar(&o.json, "json", false, "print the result as JSON on stdout")
	f.Float64Var(&o.dpEpsilon, "dp-epsilon", 0, "differentially private training with this privacy budget ε per class (patient level); the noise is calibrated for the planned steps unless --dp-noise is given, and training stops before ε is exceeded")
	f.Float64Var(&o.dpNoise, "dp-noise", 0, "DP noise multiplier σ (instead of, or with, --dp-epsilon)")
	f.Float64Var(&o.dpDelta, "dp-delta", 0, "DP δ (default 1/(10 × train patients of the class); above 1/patients is refused)")
	f.Float64Var(&o.dpClip, "dp-clip", 1, "DP bound C on each patient's discriminator gradient norm")
	f.Float64Var(&o.dpSamplingRate, "dp-sampling-rate", 0, "DP Poisson sampling rate q of patients per step (default --batch / train patients)")
	f.IntVar(&o.dpMaxFilms, "dp-max-films", 8, "DP: at most this many films of a sampled patient per step (0: all)")
}

// dpConfig is the DP configuration the flags ask for, or nil. prefix is the flags' prefix on the
// command ("" on train gan, "gan-" on run).
func (o *trainGANOptions) dpConfig(f *pflag.FlagSet, prefix string) *train.DPConfig {
	if !f.Changed(prefix+"dp-epsilon") && !f.Changed(prefix+"dp-noise") {
		return nil
	}
	return &train.DPConfig{Epsilon: o.dpEpsilon, Noise: o.dpNoise, Delta: o.dpDelta, Clip: o.dpClip,
		SamplingRate: o.dpSamplingRate, MaxFilms: o.dpMaxFilms}
}

func newTrainGANCmd(g *globals) *cobra.Command {
	var o trainGANOptions
	c := &cobra.Command{
		Use:   "gan [flags]",
		Short: "Train one DCGAN per condition on the real train split",
		Long: `Trains one DCGAN per class on the workspace's real train split (never the holdout). Everything
lands in WORKSPACE/gan/<class>/: checkpoint.ckpt, train-log.jsonl, samples/epoch-NNN.png (a grid
from a fixed z), loss.png and summary.json (settings, seed, code version, training-index fingerprint).

Interrupted (Ctrl-C, or the process killed)? Run the same command again: each class resumes from
its last checkpoint (written atomically) and ends with the same weights as an uninterrupted run.
Classes with fewer than --min-images train images are skipped and reported.
Differential privacy (--dp-epsilon, --dp-noise): DP-SGD on the discriminator, the patient as the
unit, stopped before ε is exceeded; plan with raysynth dp-budget (docs/dp.md). Rare classes
(--init pooled): each class fine-tunes a generator first trained on every class's train films
(WORKSPACE/gan-pooled/), which therefore saw every train patient; not with DP (docs/training.md).`,
		Example: `  raysynth train gan
  raysynth train gan --classes normal,effusion --epochs 50 --size 128
  raysynth train gan --epochs 1 --size 32 --json
  raysynth train gan --init pooled --pooled-steps 2000 --steps 300
  raysynth train gan --dp-epsilon 8 --epochs 50
  raysynth train gan --dp-noise 1.1 --dp-epsilon 4 --dp-sampling-rate 0.02 --dp-clip 0.5`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.dp = o.dpConfig(cmd.Flags(), "")
			return runTrainGAN(cmd.Context(), g, o)
		},
	}
	o.addFlags(c)
	addPrecisionFlag(c, &o.precision)
	return c
}

func runTrainGAN(ctx context.Context, g *globals, o trainGANOptions) error {
	_, res, err := runStage(ctx, g, noWorkspaceHint, func() (train.GANConfig, error) { return ganConfig(g, o) },
		func(c *train.GANConfig, w *workspace.Workspace, r progress.Reporter) { c.Workspace, c.Progress = w, r }, train.TrainGAN, ganHint)
	if err != nil {
		return err
	}
	if o.json {
		printGANWarnings(g, o, res)
		if err := g.printJSON(res); err != nil {
			return err
		}
	} else {
		printGANResult(g, g.stdout, o, res)
	}
	if res.Trained() == 0 {
		return ganHint(fmt.Errorf("no class has enough train images: %w", train.ErrTooFewImages))
	}
	return nil
}

// ganConfig is train gan's configuration from its options, without the workspace (run's gan
// stage uses it too).
func ganConfig(g *globals, o trainGANOptions) (train.GANConfig, error) {
	recipe, err := train.RecipeByName(o.recipe)
	if err != nil {
		return train.GANConfig{}, usageErrorf("--recipe: %v", err)
	}
	recipe.EMADecay, recipe.SampleEMA = o.emaDecay, o.sampleEMA
	if o.init == train.InitPooled && o.dp != nil {
		return train.GANConfig{}, withHint(train.ErrPooledDP,
			"leave out --init pooled for a private run: the pooled generator is trained without differential privacy on every class's patients, so no epsilon would bound what a class's generator reveals")
	}
	prec, err := resolvePrecision(g, o.precision)
	if err != nil {
		return train.GANConfig{}, err
	}
	return train.GANConfig{Precision: prec, Classes: splitList(o.classes), Epochs: o.epochs, Steps: o.steps, Recipe: recipe, Batch: o.batch, Size: o.size, LR: o.lr,
		Beta1: o.beta1, Seed: o.seed, CheckpointEvery: o.checkpointEvery, SampleEvery: o.sampleEvery, MinImages: o.minImages,
		Restart: o.restart, CodeVersion: versionString(), Log: g.log, DP: o.dp, Init: o.init, PooledSteps: o.pooledSteps}, nil
}

// runConfig is train gan's part of run's pipeline configuration; the DP settings are
// fingerprinted by value.
func (o *trainGANOptions) runConfig(_ context.Context, g *globals, cfg *pipeline.Config) (err error) {
	fp := any(*o)
	if o.dp != nil {
		plain := *o
		plain.dp = nil
		fp = [2]any{plain, *o.dp}
	}
	cfg.Options[pipeline.GAN] = fp
	cfg.GAN, err = ganConfig(g, *o)
	return err
}

// ganHint says what to do about a train gan error.
func ganHint(err error) error {
	switch {
	case errors.Is(err, train.ErrDPDelta):
		return withHint(err, "lower --dp-delta, or leave it out for the default 1/(10 × patients)")
	case errors.Is(err, train.ErrDPBudgetTooSmall):
		return withHint(err, "raise --dp-epsilon, or raise --dp-noise / lower --dp-sampling-rate (raysynth dp-budget plans them)")
	case errors.Is(err, train.ErrPooledDP):
		return withHint(err, "leave out --init pooled for a private run (--init scratch), or train without --dp-epsilon")
	case errors.Is(err, train.ErrPooledMismatch):
		return withHint(err, "use the existing pooled generator's steps and settings, or add --restart to train it again (and the classes)")
	case errors.Is(err, train.ErrCheckpointMismatch):
		return withHint(err, "use the settings of the existing run, or add --restart to train these classes from scratch")
	case errors.Is(err, train.ErrTooFewImages):
		return withHint(err, "ingest more images, or lower --min-images (a GAN on very few images memorises them)")
	}
	return err
}

// printGANWarnings tells people on stderr about skipped and small classes and the DP spent.
func printGANWarnings(g *globals, o trainGANOptions, res *train.GANResult) {
	if p := res.Pooled; p != nil {
		for _, wm := range p.Warnings {
			fmt.Fprintf(g.stderr, "raysynth: warning: pooled generator: %s; look at %s\n", wm, p.Grid)
		}
	}
	for _, c := range res.Classes {
		if c.Status == "skipped" {
			fmt.Fprintf(g.stderr, "raysynth: warning: class %s skipped: %s (--min-images %d)\n", c.Class, c.Reason, o.minImages)
			continue
		}
		if c.Batch < o.batch {
			fmt.Fprintf(g.stderr, "raysynth: class %s: %d train images, fewer than --batch %d: every step uses all of them\n", c.Class, c.TrainImages, o.batch)
		}
		if c.DP != nil {
			fmt.Fprintf(g.stderr, "raysynth: class %s: differential privacy (per patient): epsilon %.4g at delta %.3g after %d steps (noise %.4g, sampling rate %.4g, clip %g, accountant %s)\n",
				c.Class, c.DP.Epsilon, c.DP.Delta, c.DP.Steps, c.DP.NoiseMultiplier, c.DP.SamplingRate, c.DP.Clip, c.DP.Accountant)
			if c.Reason != "" {
				fmt.Fprintf(g.stderr, "raysynth: class %s: %s (--dp-epsilon %g)\n", c.Class, c.Reason, c.DP.TargetEpsilon)
			}
		}
		for _, wm := range c.Warnings {
			fmt.Fprintf(g.stderr, "raysynth: warning: class %s: %s; look at %s\n", c.Class, wm, c.Grid)
		}
	}
}

// printGANResult prints the warnings, then the table of classes on out (stdout; run: stderr).
func printGANResult(g *globals, out io.Writer, o trainGANOptions, res *train.GANResult) {
	printGANWarnings(g, o, res)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CLASS\tSTATUS\tIMAGES\tSTEPS\tEPOCHS RUN\tD LOSS\tG LOSS\tNEAREST FILMS\tMINUTES\tSAMPLES")
	rows := res.Classes
	if res.Pooled != nil {
		p := *res.Pooled
		p.Class = "(" + p.Class + ")"
		rows = append([]train.GANClassResult{p}, rows...)
	}
	for _, c := range rows {
		near := "-"
		if sc := c.SampleCheck; sc != nil {
			near = fmt.Sprintf("%d of %d", sc.DistinctNearest, sc.Samples)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d/%d\t%d\t%.3f\t%.3f\t%s\t%.1f\t%s\n", c.Class, c.Status, c.TrainImages, c.Steps, c.TargetSteps, c.EpochsRun, c.DLoss, c.GLoss, near, c.Seconds/60, c.Grid)
	}
	tw.Flush()
}
