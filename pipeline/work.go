package pipeline

import (
	"context"

	"github.com/raysynth/raysynth/ingest"
	"github.com/raysynth/raysynth/internal/progress"
	"github.com/raysynth/raysynth/publish"
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
type direct struct {
	Runner // the stages still done by cmd
	c      *Config
}

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

func (d *direct) Ingest(ctx context.Context) error {
	cfg := d.c.Ingest
	cfg.Workspace = d.c.Workspace.Dir
	var done func()
	cfg.Progress, done = d.progress(Ingest)
	if err := cfg.Validate(); err != nil {
		done()
		return &ConfigError{Stage: Ingest, Err: err}
	}
	rep, err := ingest.Run(ctx, cfg)
	done()
	if rep != nil {
		d.report(Ingest, rep)
	}
	return err
}

// ConfigError is a stage's configuration its package refused (a bad option, not a failure of
// the work): cmd reports it as a bad command line.
type ConfigError struct {
	Stage Stage
	Err   error
}

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }
