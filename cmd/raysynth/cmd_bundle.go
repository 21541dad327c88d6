package main

import (
	"context"
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
	"github.com/raysynth/raysynth/internal/workspace"
	"github.com/raysynth/raysynth/manifest"
	"github.com/spf13/cobra"
)

type bundleOptions struct {
	name         string
	version      string
	key          string
	out          string
	license      string
	description  string
	organization string
	override     string
	json         bool
}

func (o *bundleOptions) addFlags(c *cobra.Command) {
	f := c.Flags()
	f.StringVar(&o.name, "name", "", "release name: lowercase letters, digits, '.', '_', '-' (required)")
	f.StringVar(&o.version, "version", "", "release version, a semantic version such as 1.0.0 (required)")
	f.StringVar(&o.key, "key", "", "signing key: PREFIX.key from raysynth keygen or cosign, or a KMS URI such as hashivault://KEY\n(password from RAYSYNTH_PASSWORD or COSIGN_PASSWORD, else asked) (required)")
	f.StringVar(&o.out, "out", "", "bundle folder to create; must not exist (required)")
	f.StringVar(&o.license, "license", "CC-BY-4.0", "SPDX license identifier of the released images")
	f.StringVar(&o.description, "description", "", "one-line description for the dataset card and croissant.json")
	f.StringVar(&o.organization, "organization", "", "Source-Organization: who releases the data (e.g. the hospital's name);\nrequired unless the workspace was made from raysynth phantom images")
	f.StringVar(&o.override, "override-privacy-gate", "", "release although the privacy gate failed, for this REASON;\nthe reason and the failing checks are recorded in provenance.json and shown by every verify")
	f.BoolVar(&o.json, "json", false, "print a JSON summary of the bundle on stdout")
}

func newBundleCmd(g *globals) *cobra.Command {
	var o bundleOptions
	c := &cobra.Command{
		Use:   "bundle --name NAME --version SEMVER --key KEY --out DIR",
		Short: "Make a signed, self-describing release bundle from the approved images",
		Long: `bundle builds a BagIt bag (RFC 8493) from the workspace's approved synthetic images:
data/images/<class>/<id>.png (and .dcm), data/index.csv, bagit.txt, bag-info.txt,
manifest-sha256.txt, tagmanifest-sha256.txt, croissant.json (Croissant 1.1 with Responsible-AI
fields), README.md (dataset card), privacy-report.json (the public privacy summary), provenance.json
(in-toto SLSA provenance: every training and generation parameter and seed, checkpoint hashes,
the privacy policy and result) and two Sigstore signature bundles that cosign verifies offline.

It reads only approved/, privacy/summary.json, gan/*/summary.json and workspace.json, and refuses
if any file would contain the workspace secret, a pseudonym, a source path or identifier, or a
real image. It refuses when the privacy gate did not pass (exit code 3) unless
--override-privacy-gate "REASON" is given. The bundle is written to a temporary folder and renamed
to --out only when complete and signed.`,
		Example: `  raysynth bundle --name chest --version 1.0.0 --key hospital.key --out chest-1.0.0 \
      --organization "St Example Hospital" --license CC-BY-4.0
  raysynth bundle --name chest --version 1.0.1 --key hashivault://raysynth --out chest-1.0.1 \
      --override-privacy-gate "ethics board decision 2026-17: internal benchmark only"`,
		GroupID: groupRelease,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBundle(cmd.Context(), g, &o)
		},
	}
	o.addFlags(c)
	return c
}

func runBundle(ctx context.Context, g *globals, o *bundleOptions) error {
	var missing []string
	for _, f := range [][2]string{{"--name", o.name}, {"--version", o.version}, {"--key", o.key}, {"--out", o.out}} {
		if f[1] == "" {
			missing = append(missing, f[0])
		}
	}
	if len(missing) > 0 {
		return usageErrorf("%s required", strings.Join(missing, ", "))
	}
	if o.override != "" && strings.TrimSpace(o.override) == "" {
		return usageErrorf("--override-privacy-gate needs a reason (who decided, and why), not a blank")
	}
	ws, err := workspace.Open(g.workspace)
	if err != nil {
		return withHint(err, "give the workspace with --workspace or RAYSYNTH_WORKSPACE")
	}
	cfg, err := bundleConfig(ws, o)
	if err != nil {
		return err
	}
	signer, err := manifest.LoadSigner(ctx, o.key, func() ([]byte, error) { return g.password(false) })
	if err != nil {
		return signerHint(err)
	}
	cfg.Signer = signer
	res, err := buildBundle(ctx, g, cfg, "nothing was released. See privacy/report.html for why; fix and re-run raysynth privacy,\n"+
		"or release anyway with --override-privacy-gate \"REASON\" (recorded in provenance.json and shown by every verify)")
	if err != nil {
		return err
	}
	if o.json {
		return g.printJSON(res)
	}
	fmt.Fprintln(g.stdout, res.Dir)
	var classes []string
	for c, n := range res.ImagesPerClass {
		classes = append(classes, fmt.Sprintf("%s %d", c, n))
	}
	slices.Sort(classes)
	fmt.Fprintf(g.stderr, "bundle %s %s: %d images (%s), %d files, signed by key %s\n",
		res.Name, res.Version, res.Images, strings.Join(classes, ", "), res.Files, res.KeyHint)
	if res.PrivacyPassed && o.override != "" {
		fmt.Fprintln(g.stderr, "note: the privacy gate passed; --override-privacy-gate was not needed and no override is recorded")
	}
	if len(res.Overrides) > 0 {
		fmt.Fprintf(g.stderr, "PRIVACY GATE OVERRIDDEN (failed: %s): %q — recorded in provenance.json\n",
			strings.Join(res.Overrides[0].FailedChecks, ", "), res.Overrides[0].Reason)
	}
	fmt.Fprintf(g.stderr, "next: raysynth verify %s --key PUBLIC.pub, then raysynth publish %s …\n", res.Dir, res.Dir)
	return nil
}

// bundleConfig reads what a release may carry from the workspace, and what it must never carry.
// buildBundle builds and signs the bundle with a progress bar and maps its errors to exit codes
// and hints: a failed gate is exit 3 with gateHint, a leak of private data says what to redo.
func buildBundle(ctx context.Context, g *globals, cfg manifest.BuildConfig, gateHint string) (*manifest.BuildResult, error) {
	rep, wait := g.newReporter()
	task := rep.Start("bundle", int64(len(cfg.Images)), "images")
	cfg.Progress = func(done, total int) { task.Add(1) }
	res, err := manifest.Build(ctx, cfg)
	task.Done()
	wait()
	var ge *manifest.GateError
	switch {
	case errors.As(err, &ge):
		return nil, withHint(err, gateHint)
	case errors.Is(err, manifest.ErrLeak):
		return nil, withHint(err, "nothing was released; the approved set or a summary carries private data. Re-run synth and privacy")
	case err != nil:
		return nil, err
	}
	return res, nil
}

func bundleConfig(ws *workspace.Workspace, o *bundleOptions) (manifest.BuildConfig, error) {
	cfg := manifest.BuildConfig{Name: o.name, Version: o.version, License: o.license, Description: o.description,
		Organization: o.organization, Out: o.out, OverridePrivacyGate: o.override,
		Tool: "raysynth", ToolVersion: version, Now: time.Now()}
	meta, err := ws.LoadMeta()
	if err != nil {
		return cfg, err
	}
	cfg.ImageSize = meta.ImageSize
	cfg.Phantom = meta.Phantom
	if strings.TrimSpace(cfg.Organization) == "" {
		if !meta.Phantom {
			return cfg, usageErrorf("--organization is required: the dataset card, bag-info.txt and croissant.json name who releases the data (only a workspace made from raysynth phantom images may leave it out)")
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
		return cfg, withHint(fmt.Errorf("read privacy summary: %w", err), "run raysynth privacy first")
	}
	var gate struct {
		Passed       *bool    `json:"passed"`
		FailedChecks []string `json:"failed_checks"`
	}
	if err := json.Unmarshal(cfg.PrivacySummary, &gate); err != nil || gate.Passed == nil {
		return cfg, withHint(fmt.Errorf("%s is not a privacy summary", ws.PrivacySummaryPath()), "run raysynth privacy again")
	}
	// A passed gate releases approved/; a failed one, only with an override, the set that gate
	// checked minus every image it flagged (privacy/checked/), never an approved/ of an earlier run.
	index, setDir, setName := ws.ApprovedIndexPath(), filepath.Dir(ws.ApprovedIndexPath()), "approved/"
	if !*gate.Passed {
		if strings.TrimSpace(o.override) == "" {
			return cfg, withHint(&manifest.GateError{FailedChecks: gate.FailedChecks}, "nothing was released. See privacy/report.html for why; fix and re-run raysynth privacy,\n"+
				"or release the checked images that were not flagged with --override-privacy-gate \"REASON\" (recorded in provenance.json and shown by every verify)")
		}
		index, setDir, setName = ws.CheckedIndexPath(), filepath.Dir(ws.CheckedIndexPath()), "privacy/checked/"
	}
	imgs, err := workspace.ReadSynthIndex(index)
	if err != nil {
		return cfg, withHint(err, "run raysynth privacy first: it writes the checked set ("+setName+")")
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

// signerHint says what to do about a signing key that did not load. A hint already on err (no
// password and no terminal: set RAYSYNTH_PASSWORD) is the precise one and is kept.
func signerHint(err error) error {
	var h hinted
	switch {
	case errors.As(err, &h):
		return err
	case errors.Is(err, manifest.ErrPassword):
		return withHint(err, "check RAYSYNTH_PASSWORD / COSIGN_PASSWORD")
	}
	return withHint(err, "give the private key from raysynth keygen or cosign generate-key-pair, or a KMS URI")
}
