package pipeline

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/raysynth/raysynth/evaluate"
	"github.com/raysynth/raysynth/ingest"
	"github.com/raysynth/raysynth/internal/progress"
	"github.com/raysynth/raysynth/internal/workspace"
	"github.com/raysynth/raysynth/manifest"
	"github.com/raysynth/raysynth/privacy"
	"github.com/raysynth/raysynth/publish"
	"github.com/raysynth/raysynth/synth"
	"github.com/raysynth/raysynth/train"
)

// work is what each stage does. [direct] calls the packages; the tests record instead.
type work interface {
	Ingest(ctx context.Context) error
	TrainGAN(ctx context.Context, restart bool) error
	Synth(ctx context.Context, classes []string) error // classes: those with a trained generator
	TrainClassifier(ctx context.Context, restart bool) error
	Privacy(ctx context.Context) error
	Evaluate(ctx context.Context) error
	Bundle(ctx context.Context, out string) error // build the signed bundle into out (which does not exist)
	Publish(ctx context.Context, bundle string) (*publish.Result, error)
	Verify(ctx context.Context, location string) error
}

// direct does the stages' work by calling their packages with the [Config]'s configurations,
// and reports each package's result through [Config.Notify] for cmd to print.
type direct struct{ c *Config }

// progress starts a stage's reporter; the returned function ends it.
func (d *direct) progress(s Stage) (progress.Reporter, func()) {
	if d.c.Progress == nil {
		return nil, func() {}
	}
	return d.c.Progress(s)
}

// report hands a package's result to Notify (also when the stage failed, if there is one).
func (d *direct) report(s Stage, result any) {
	if d.c.Notify != nil {
		d.c.Notify(Event{Kind: Reported, Stage: s, Result: result})
	}
}

// call runs one stage's package: run(ctx, *cfg) with the stage's reporter in *rep, after
// cfg's Validate (a refusal is a [ConfigError]); a result is reported, also with an error.
func call[C any, P interface {
	*C
	Validate() error
}, R any](ctx context.Context, d *direct, s Stage, cfg P, rep *progress.Reporter, run func(context.Context, C) (*R, error)) (*R, error) {
	var done func()
	*rep, done = d.progress(s)
	if err := cfg.Validate(); err != nil {
		done()
		return nil, &ConfigError{Stage: s, Err: err}
	}
	res, err := run(ctx, *cfg)
	done()
	if res != nil {
		d.report(s, res)
	}
	return res, err
}

// workspace opens the workspace ingest made.
func (d *direct) workspace() (*workspace.Workspace, error) { return workspace.Open(d.c.Workspace.Dir) }

func (d *direct) Ingest(ctx context.Context) error {
	cfg := d.c.Ingest
	cfg.Workspace = d.c.Workspace.Dir
	_, err := call(ctx, d, Ingest, &cfg, &cfg.Progress, ingest.Run)
	return err
}

func (d *direct) TrainGAN(ctx context.Context, restart bool) error {
	cfg := d.c.GAN
	var err error
	if cfg.Workspace, err = d.workspace(); err != nil {
		return err
	}
	cfg.Restart = restart
	res, err := call(ctx, d, GAN, &cfg, &cfg.Progress, train.TrainGAN)
	if err == nil && res.Trained() == 0 {
		err = fmt.Errorf("no class has enough train images: %w", train.ErrTooFewImages)
	}
	return err
}

func (d *direct) Synth(ctx context.Context, classes []string) error {
	cfg := d.c.Synth
	var err error
	if cfg.Workspace, err = d.workspace(); err != nil {
		return err
	}
	if len(cfg.Classes) == 0 {
		cfg.Classes = classes // classes train gan skipped (too few images) have no generator
	}
	_, err = call(ctx, d, Synth, &cfg, &cfg.Progress, synth.Run)
	return err
}

func (d *direct) TrainClassifier(ctx context.Context, restart bool) error {
	cfg := d.c.Classifier
	var err error
	if cfg.Workspace, err = d.workspace(); err != nil {
		return err
	}
	cfg.Restart = restart
	_, err = call(ctx, d, Classifier, &cfg, &cfg.Progress, train.TrainClassifier)
	return err
}

func (d *direct) Evaluate(ctx context.Context) error {
	cfg := d.c.Evaluate
	var err error
	if cfg.Workspace, err = d.workspace(); err != nil {
		return err
	}
	_, err = call(ctx, d, Evaluate, &cfg, &cfg.Progress, evaluate.Run)
	return err
}

func (d *direct) Privacy(ctx context.Context) error {
	ws, err := d.workspace()
	if err != nil {
		return err
	}
	cfg := d.c.Privacy
	cfg.Workspace = ws
	cfg.Embedders = slices.Clone(cfg.Embedders)
	if d.c.PrivacyClassifier {
		c, err := train.LoadClassifier(filepath.Join(ws.ClassifierDir(), train.ClassifierModelFile))
		if err != nil {
			return fmt.Errorf("classifier embedding: %w", err)
		}
		cfg.Embedders = append(cfg.Embedders, c)
	}
	if cfg.Filter {
		gs := synth.NewGenerators(ws, 64)
		defer gs.Close()
		cfg.Generator = gs
	}
	var done func()
	cfg.Progress, done = d.progress(Privacy)
	res, err := privacy.Run(ctx, cfg)
	done()
	if err != nil {
		return err
	}
	d.report(Privacy, res)
	return res.Err()
}

func (d *direct) Bundle(ctx context.Context, out string) error {
	base := d.c.Bundle
	base.Out = out
	cfg, err := BundleConfig(d.c.Workspace, base)
	if err != nil {
		return err
	}
	rep, done := d.progress(Bundle)
	if rep != nil {
		task := rep.Start("bundle", int64(len(cfg.Images)), "images")
		defer task.Done()
		cfg.Progress = func(int, int) { task.Add(1) }
	}
	res, err := manifest.Build(ctx, cfg)
	done()
	if err != nil {
		return err
	}
	d.report(Bundle, res)
	return nil
}

func (d *direct) Publish(ctx context.Context, bundle string) (*publish.Result, error) {
	cfg := d.c.Publish
	cfg.Bundle = bundle
	if d.c.PublishRetention > 0 {
		cfg.RetainUntil = time.Now().UTC().Add(d.c.PublishRetention)
	}
	if d.c.OpenStore == nil {
		return nil, errors.New("pipeline: no store to publish to")
	}
	st, err := d.c.OpenStore(ctx)
	if err != nil {
		return nil, err
	}
	cfg.Store = st
	rep, done := d.progress(Publish)
	if rep != nil {
		cfg.Progress = publishProgress{rep}
	}
	res, err := publish.Publish(ctx, cfg)
	done()
	if err != nil {
		return nil, err
	}
	d.report(Publish, res)
	return res, nil
}

func (d *direct) Verify(ctx context.Context, location string) error {
	if d.c.Verify == nil {
		return errors.New("pipeline: no verifier")
	}
	return d.c.Verify(ctx, location)
}

// publishProgress adapts internal/progress to publish.Reporter.
type publishProgress struct{ r progress.Reporter }

func (p publishProgress) Start(name string, total int64, unit string) publish.Task {
	return p.r.Start(name, total, unit)
}

// ConfigError is a stage's configuration its package refused (a bad option, not a failure of
// the work): cmd reports it as a bad command line.
type ConfigError struct {
	Stage Stage
	Err   error
}

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }
