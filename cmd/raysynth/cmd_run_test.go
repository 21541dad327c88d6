package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/raysynth/raysynth/internal/workspace"
	"github.com/raysynth/raysynth/pipeline"
)

// TestRunConfigCoversEveryStage: run's stage table names every stage of the pipeline but verify,
// in the pipeline's order, and the pipeline's configuration built from a --config file carries
// each stage's options (its fingerprint) and the values the file gave, so a new stage cannot be
// wired halfway.
func TestRunConfigCoversEveryStage(t *testing.T) {
	dir := t.TempDir()
	pub, signer := testKeyPair(t)
	conf := filepath.Join(dir, "pipeline.yaml")
	if err := os.WriteFile(conf, []byte("from: export\nname: chest\nversion: 1.0.0\nkey: k.key\nto: releases\n"+
		"gan: {epochs: 3}\nsynth: {per-class: 7}\nprivacy: {embedding: [pixel, classifier]}\npublish: {parallel: 3}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	g := &globals{stdout: io.Discard, stderr: io.Discard, log: slog.New(slog.DiscardHandler), workspace: filepath.Join(dir, "ws")}
	o := &runOptions{}
	c := newRunCmdWith(g, o)
	root := newRootCmd(g) // --workspace, which --config may set too
	root.AddCommand(c)
	if err := c.ParseFlags([]string{"--config", conf, "--gan-epochs", "4"}); err != nil {
		t.Fatal(err)
	}
	if err := applyRunConfig(c, o); err != nil {
		t.Fatal(err)
	}

	var sections []pipeline.Stage
	for _, gr := range o.groups() {
		sections = append(sections, pipeline.Stage(gr.Name))
	}
	if want := pipeline.UntilStages(); !slices.Equal(sections, want) {
		t.Fatalf("run's stages %v, the pipeline's %v", sections, want)
	}

	o.publish.keys = []string{pub}
	cfg, err := o.pipelineConfig(context.Background(), g, &workspace.Workspace{Dir: g.workspace}, signer, pub)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range sections {
		if cfg.Options[st] == nil {
			t.Errorf("stage %s: no options in the pipeline's fingerprints", st)
		}
	}
	if cfg.From != filepath.Join(dir, "export") || cfg.Name != "chest" || cfg.Version != "1.0.0" {
		t.Errorf("from %q name %q version %q", cfg.From, cfg.Name, cfg.Version)
	}
	if cfg.GAN.Epochs != 4 { // the command line wins over the file
		t.Errorf("gan epochs %d, want 4 from the command line", cfg.GAN.Epochs)
	}
	if cfg.Synth.PerClass != 7 || !cfg.PrivacyClassifier || cfg.Publish.Parallel != 3 || cfg.OpenStore == nil {
		t.Errorf("synth per class %d, privacy classifier %v, publish parallel %d, store opener %v",
			cfg.Synth.PerClass, cfg.PrivacyClassifier, cfg.Publish.Parallel, cfg.OpenStore != nil)
	}
	if cfg.Bundle.Signer != signer || cfg.PublicKey != pub {
		t.Error("the bundle's signer or the release's public key is not run's")
	}
}
