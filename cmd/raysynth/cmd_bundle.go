package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/raysynth/raysynth/internal/workspace"
	"github.com/raysynth/raysynth/manifest"
	"github.com/raysynth/raysynth/pipeline"
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
	gateHint := "nothing was released. See privacy/report.html for why; fix and re-run raysynth privacy,\n" +
		"or release the checked images that were not flagged with --override-privacy-gate \"REASON\" (recorded in provenance.json and shown by every verify)"
	cfg, err := pipeline.BundleConfig(ws, bundleConfig(o))
	if err != nil {
		return bundleHint(err, gateHint)
	}
	signer, err := manifest.LoadSigner(ctx, o.key, func() ([]byte, error) { return g.password(false) })
	if err != nil {
		return signerHint(err)
	}
	cfg.Signer = signer
	rep, wait := g.newReporter()
	task := rep.Start("bundle", int64(len(cfg.Images)), "images")
	cfg.Progress = func(done, total int) { task.Add(1) }
	res, err := manifest.Build(ctx, cfg)
	task.Done()
	wait()
	if err != nil {
		return bundleHint(err, gateHint)
	}
	if o.json {
		return g.printJSON(res)
	}
	fmt.Fprintln(g.stdout, res.Dir)
	printBundleBuilt(g.stderr, res)
	if res.PrivacyPassed && o.override != "" {
		fmt.Fprintln(g.stderr, "note: the privacy gate passed; --override-privacy-gate was not needed and no override is recorded")
	}
	fmt.Fprintf(g.stderr, "next: raysynth verify %s --key PUBLIC.pub, then raysynth publish %s …\n", res.Dir, res.Dir)
	return nil
}

// printBundleBuilt tells people what a bundle holds and who signed it (bundle and run's bundle
// stage), and an override of the privacy gate, loudly.
func printBundleBuilt(w io.Writer, res *manifest.BuildResult) {
	var classes []string
	for c, n := range res.ImagesPerClass {
		classes = append(classes, fmt.Sprintf("%s %d", c, n))
	}
	slices.Sort(classes)
	fmt.Fprintf(w, "bundle %s %s: %d images (%s), %d files, signed by key %s\n",
		res.Name, res.Version, res.Images, strings.Join(classes, ", "), res.Files, res.KeyHint)
	if len(res.Overrides) > 0 {
		fmt.Fprintf(w, "PRIVACY GATE OVERRIDDEN (failed: %s): %q — recorded in provenance.json\n",
			strings.Join(res.Overrides[0].FailedChecks, ", "), res.Overrides[0].Reason)
	}
}

// bundleConfig is what bundle's options say of the release; [pipeline.BundleConfig] adds what
// the workspace holds (run's bundle stage uses both).
func bundleConfig(o *bundleOptions) manifest.BuildConfig {
	return manifest.BuildConfig{Name: o.name, Version: o.version, License: o.license, Description: o.description,
		Organization: o.organization, Out: o.out, OverridePrivacyGate: o.override,
		Tool: "raysynth", ToolVersion: version}
}

// runConfig is bundle's part of run's pipeline configuration (run adds the signer).
func (o *bundleOptions) runConfig(_ context.Context, _ *globals, cfg *pipeline.Config) error {
	cfg.Bundle, cfg.Options[pipeline.Bundle] = bundleConfig(o), *o
	return nil
}

// bundleHint says what to do about a bundle error: a failed gate is exit 3 with gateHint, a leak
// of private data says what to redo.
func bundleHint(err error, gateHint string) error {
	var ge *manifest.GateError
	var ne *pipeline.NeedsError
	switch {
	case errors.Is(err, pipeline.ErrOrganization):
		return usageErrorf("--organization is required: the dataset card, bag-info.txt and croissant.json name who releases the data (only a workspace made from raysynth phantom images may leave it out)")
	case errors.As(err, &ge):
		return withHint(err, gateHint)
	case errors.As(err, &ne):
		return withHint(err, "run raysynth privacy first: it writes privacy/summary.json and the set a bundle releases (approved/, or privacy/checked/ when the gate failed)")
	case errors.Is(err, manifest.ErrLeak):
		return withHint(err, "nothing was released; the approved set or a summary carries private data. Re-run synth and privacy")
	}
	return err
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
