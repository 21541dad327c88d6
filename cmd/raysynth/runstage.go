package main

import (
	"context"

	"github.com/raysynth/raysynth/internal/progress"
	"github.com/raysynth/raysynth/internal/workspace"
)

// runStage is the work of a single stage command (train gan, train classifier, synth, evaluate):
// open the workspace (noWorkspace says how to make one), build the stage's configuration, bind
// the workspace and a progress reporter to it, refuse an invalid one as a bad command line, run
// the stage and give its error the command's hint. run builds the same configurations.
func runStage[C interface{ Validate() error }, R any](ctx context.Context, g *globals, noWorkspace string,
	config func() (C, error), bind func(*C, *workspace.Workspace, progress.Reporter),
	run func(context.Context, C) (R, error), hint func(error) error) (*workspace.Workspace, R, error) {
	var zero R
	w, err := workspace.Open(g.workspace)
	if err != nil {
		return nil, zero, withHint(err, noWorkspace)
	}
	cfg, err := config()
	if err != nil {
		return nil, zero, err
	}
	rep, wait := g.newReporter()
	bind(&cfg, w, rep)
	if err := cfg.Validate(); err != nil {
		wait()
		return nil, zero, usageErrorf("%v", err)
	}
	res, err := run(ctx, cfg)
	wait()
	if err != nil {
		return nil, zero, hint(err)
	}
	return w, res, nil
}

// noWorkspaceHint says how to make the workspace a stage command needs.
const noWorkspaceHint = "create one with raysynth ingest --from FOLDER --labels FILE"
