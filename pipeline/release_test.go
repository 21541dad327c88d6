package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/raysynth/raysynth/internal/workspace"
	"github.com/raysynth/raysynth/manifest"
	"github.com/raysynth/raysynth/publish"
)

// recorder does each stage's work by writing the one file its output fingerprint reads. The real
// stages are tested by the run_* testscripts; this checks what Run itself
// decides: the files it writes, the folders it refuses, the facts it keeps.
type recorder struct {
	ws    *workspace.Workspace
	ran   []Stage
	count int // written into every file: a stage run again writes other bytes
}

func (r *recorder) touch(s Stage, path string) error {
	r.ran = append(r.ran, s)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	r.count++
	return os.WriteFile(path, fmt.Appendf(nil, "%s %d", s, r.count), 0o644)
}
func (r *recorder) Ingest(context.Context) error { return r.touch(Ingest, r.ws.RealIndexPath()) }
func (r *recorder) TrainGAN(context.Context, bool) error {
	return r.touch(GAN, r.ws.Path("gan", "normal", "summary.json"))
}
func (r *recorder) Synth(_ context.Context, classes []string) error {
	if !slices.Equal(classes, []string{"normal"}) {
		return errors.New("synth not given the trained classes")
	}
	return r.touch(Synth, r.ws.CandidatesIndexPath())
}
func (r *recorder) TrainClassifier(context.Context, bool) error {
	return r.touch(Classifier, filepath.Join(r.ws.ClassifierDir(), "model"))
}
func (r *recorder) Privacy(context.Context) error  { return r.touch(Privacy, r.ws.PrivacySummaryPath()) }
func (r *recorder) Evaluate(context.Context) error { return r.touch(Evaluate, r.ws.Path("eval", "x")) }
func (r *recorder) Bundle(_ context.Context, out string) error {
	if _, err := os.Stat(out); err == nil {
		return errors.New("bundle folder not cleared")
	}
	return r.touch(Bundle, filepath.Join(out, manifest.FileTagManifest))
}
func (r *recorder) Publish(_ context.Context, bundle string) (*publish.Result, error) {
	r.ran = append(r.ran, Publish)
	return &publish.Result{Location: "s3://b/chest/1.0.0", Name: "chest", Version: "1.0.0",
		Links: []publish.Link{{File: "data/index.csv", URL: "https://x/?sig", Expires: time.Unix(0, 0).UTC()}}}, nil
}
func (r *recorder) Verify(_ context.Context, loc string) error {
	r.ran = append(r.ran, Verify)
	if loc != "s3://b/chest/1.0.0" {
		return errors.New("verify not given the published location")
	}
	return nil
}

func TestRunRelease(t *testing.T) {
	dir := t.TempDir()
	ws := &workspace.Workspace{Dir: filepath.Join(dir, "ws")}
	from := filepath.Join(dir, "export")
	os.MkdirAll(from, 0o755)
	os.WriteFile(filepath.Join(from, "a.png"), []byte("x"), 0o644)
	r := &recorder{ws: ws}
	cfg := Config{Workspace: ws, Name: "chest", Version: "1.0.0", From: from, work: r, Options: map[Stage]any{GAN: 3}}

	sum, err := Run(context.Background(), cfg)
	if err != nil || !slices.Equal(r.ran, Stages) {
		t.Fatalf("first run: ran %v, %v", r.ran, err)
	}
	if want := DefaultBundleOut(ws, "chest", "1.0.0"); sum.Bundle != want || sum.Location != "s3://b/chest/1.0.0" {
		t.Errorf("summary bundle %q location %q", sum.Bundle, sum.Location)
	}
	fi, err := os.Stat(sum.LinksFile)
	if err != nil || fi.Mode().Perm() != 0o600 || sum.LinksExpire != "1970-01-01T00:00:00Z" {
		t.Errorf("links file %s: %v %v (bearer links must be 0600)", sum.LinksFile, fi, err)
	}

	r.ran = nil
	if _, err := Run(context.Background(), cfg); err != nil || !slices.Equal(r.ran, []Stage{Verify}) {
		t.Fatalf("second run: ran %v, %v; want only verify", r.ran, err)
	}
	// a changed option reruns that stage and those reading what it changed (the classifier and
	// the evaluation read neither the generators nor the privacy summary); run's own bundle
	// folder is replaced
	cfg.Options[GAN], r.ran = 4, nil
	if _, err := Run(context.Background(), cfg); err != nil || !slices.Equal(r.ran, []Stage{GAN, Synth, Privacy, Bundle, Publish, Verify}) {
		t.Fatalf("changed gan option: ran %v, %v", r.ran, err)
	}
	// a folder run did not make is never removed
	foreign := filepath.Join(dir, "mine")
	os.MkdirAll(foreign, 0o755)
	cfg.BundleOut, cfg.Version = foreign, "1.0.1"
	if _, err := Run(context.Background(), cfg); !errors.Is(err, ErrBundleFolder) {
		t.Fatalf("foreign bundle folder: %v", err)
	}
	if _, err := os.Stat(foreign); err != nil {
		t.Fatal("the foreign folder was removed")
	}
}
