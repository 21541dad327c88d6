package pipeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/raysynth/raysynth/evaluate"
	"github.com/raysynth/raysynth/ingest"
	"github.com/raysynth/raysynth/internal/contract"
	"github.com/raysynth/raysynth/internal/workspace"
	"github.com/raysynth/raysynth/manifest"
)

// ErrOrganization is returned by [BundleConfig] when the release names no organization and the
// workspace was not made from phantom images.
var ErrOrganization = errors.New("the release names no organization")

// NeedsError marks an output of an earlier stage that is missing or unusable: run Stage (again).
// The message is the underlying error's.
type NeedsError struct {
	Stage Stage
	Err   error
}

func (e *NeedsError) Error() string { return e.Err.Error() }
func (e *NeedsError) Unwrap() error { return e.Err }

// BundleConfig completes base (name, version, license, … from the options) with what the
// workspace may release, and what a bundle must never carry: the image size, the evaluation
// table, workspace.json, the privacy summary, the approved images (the checked ones when the
// gate failed and base overrides it), the generators' summaries, and the workspace's private
// strings and real image hashes. A failed gate without an override is a [manifest.GateError].
func BundleConfig(ws *workspace.Workspace, base manifest.BuildConfig) (manifest.BuildConfig, error) {
	cfg := base
	if cfg.Now.IsZero() {
		cfg.Now = time.Now()
	}
	meta, err := ws.LoadMeta()
	if err != nil {
		return cfg, err
	}
	cfg.ImageSize = meta.ImageSize
	cfg.Phantom = meta.Phantom
	if strings.TrimSpace(cfg.Organization) == "" {
		if !meta.Phantom {
			return cfg, ErrOrganization
		}
		cfg.Organization = "a raysynth demonstration (phantom data)"
	}
	if b, err := os.ReadFile(filepath.Join(ws.EvalDir(), evaluate.EvalReportJSON)); err == nil {
		var rep evaluate.Report
		if json.Unmarshal(b, &rep) == nil && len(rep.Regimes) > 0 {
			cfg.Evaluation = rep.Table()
		}
	}
	if cfg.Workspace, err = os.ReadFile(ws.Path("workspace.json")); err != nil {
		return cfg, err
	}
	if cfg.PrivacySummary, err = os.ReadFile(ws.PrivacySummaryPath()); err != nil {
		return cfg, &NeedsError{Privacy, fmt.Errorf("read privacy summary: %w", err)}
	}
	var gate contract.PrivacySummary
	if err := json.Unmarshal(cfg.PrivacySummary, &gate); err != nil || gate.Passed == nil {
		return cfg, &NeedsError{Privacy, fmt.Errorf("%s is not a privacy summary", ws.PrivacySummaryPath())}
	}
	// A passed gate releases approved/; a failed one, only with an override, the set that gate
	// checked minus every image it flagged (privacy/checked/), never an approved/ of an earlier run.
	index, setDir, setName := ws.ApprovedIndexPath(), filepath.Dir(ws.ApprovedIndexPath()), "approved/"
	if !*gate.Passed {
		if strings.TrimSpace(cfg.OverridePrivacyGate) == "" {
			return cfg, &manifest.GateError{FailedChecks: gate.FailedChecks}
		}
		index, setDir, setName = ws.CheckedIndexPath(), filepath.Dir(ws.CheckedIndexPath()), "privacy/checked/"
	}
	imgs, err := workspace.ReadSynthIndex(index)
	if err != nil {
		return cfg, &NeedsError{Privacy, err}
	}
	for _, im := range imgs {
		in := manifest.Image{ID: im.ID, Class: im.Class, PNG: filepath.Join(setDir, filepath.FromSlash(im.File)),
			SHA256: im.SHA256, Generator: im.Generator, Seed: im.Seed, Sample: im.Sample}
		if im.DICOM != "" {
			in.DICOM = filepath.Join(setDir, filepath.FromSlash(im.DICOM))
		}
		if !strings.HasPrefix(filepath.Clean(in.PNG), filepath.Clean(setDir)+string(filepath.Separator)) ||
			(in.DICOM != "" && !strings.HasPrefix(filepath.Clean(in.DICOM), filepath.Clean(setDir)+string(filepath.Separator))) {
			return cfg, fmt.Errorf("%s: image %s points outside %s", index, im.ID, setName)
		}
		cfg.Images = append(cfg.Images, in)
	}
	gans, _ := filepath.Glob(ws.Path("gan", "*", "summary.json"))
	slices.Sort(gans)
	for _, p := range gans {
		b, err := os.ReadFile(p)
		if err != nil {
			return cfg, err
		}
		if !json.Valid(b) {
			return cfg, fmt.Errorf("%s is not valid JSON; re-run raysynth train for that class", p)
		}
		cfg.Generators = append(cfg.Generators, b)
	}
	cfg.Forbidden, cfg.RealImageSHA256, err = ingest.PrivateStrings(ws)
	return cfg, err
}
