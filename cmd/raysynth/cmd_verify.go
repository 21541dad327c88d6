package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/raysynth/raysynth/manifest"
	"github.com/raysynth/raysynth/publish"
	"github.com/spf13/cobra"
)

type verifyOptions struct {
	keys     []string
	json     bool
	endpoint string
}

func (o *verifyOptions) addFlags(c *cobra.Command) {
	f := c.Flags()
	f.StringArrayVar(&o.keys, "key", nil, "trusted public key: PEM file (PREFIX.pub from raysynth keygen or cosign) or KMS URI;\nrepeat to accept any of several keys (required)")
	f.BoolVar(&o.json, "json", false, "print the result (facts, every problem, equivalent commands) as JSON on stdout")
	addEndpointFlag(f, &o.endpoint)
}

func newVerifyCmd(g *globals) *cobra.Command {
	var o verifyOptions
	c := &cobra.Command{
		Use:   "verify SOURCE --key PUB",
		Short: "Check that a bundle is complete, untampered and signed by the key",
		Long: `verify checks a release bundle (a folder, or an s3://BUCKET/PREFIX/NAME[/VERSION] release):
the Sigstore signatures against the key, every hash in manifest-sha256.txt and
tagmanifest-sha256.txt, that no file is missing or extra and Payload-Oxum matches, and that
croissant.json and provenance.json are well formed and agree with the manifests; for a release in
a bucket or a published folder, that its signed name and version are its location's, that LATEST
names it and that no newer signed version sits beside it (see docs/threats.md). Until the tag
manifest's signature verifies it reads nothing else. It never follows
a path outside the bundle, a symbolic link or a device file, and never reads more of a file than
the manifests say it holds.

It prints the release's name, version, signer's key hint, images per class, privacy result, any
override of the privacy gate and the DP epsilon, or every problem found (exit code 4), and the
standard-tool commands (cosign, sha256sum) that check the same without raysynth.`,
		Example: `  raysynth verify chest-1.0.0 --key hospital.pub
  raysynth verify s3://releases/chest/1.0.0 --key hospital.pub --json
  # a release on the hospital's own S3-compatible server (MinIO, Ceph, …)
  raysynth verify s3://releases/chest/1.0.0 --key hospital.pub --endpoint https://s3.hospital.example`,
		GroupID: groupVerify,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVerify(cmd.Context(), g, g.stdout, args[0], &o)
		},
	}
	o.addFlags(c)
	g.addS3Flags(c)
	return c
}

// verifyOutput is what verify prints with --json.
type verifyOutput struct {
	*manifest.VerifyResult
	OK                 bool     `json:"ok"`
	EquivalentCommands []string `json:"equivalent_commands"`
	CosignOffline      string   `json:"cosign_offline_note"`
}

// cosignOfflineNote explains the commands (the bundle's README.md says the same).
const cosignOfflineNote = manifest.StandardToolNote

func runVerify(ctx context.Context, g *globals, dest io.Writer, ref string, o *verifyOptions) error {
	// Names and values come from the bundle, possibly an attacker's: escape what could disguise
	// them on a terminal (control and bidi characters).
	g, flush := g.escapedTo(dest) // stdout; run: stderr
	defer flush()
	if len(o.keys) == 0 {
		return usageErrorf("--key PUB is required: the public key the bundle must be signed with")
	}
	keys, err := loadKeys(ctx, o.keys)
	if err != nil {
		return err
	}
	res, err := verifyAt(ctx, g, ref, o.endpoint, keys)
	if err != nil && res == nil && errors.Is(err, manifest.ErrVerification) {
		return err // the release could not even be opened (exit code 4)
	}
	if err != nil && !errors.Is(err, manifest.ErrVerification) {
		if publish.IsS3URL(ref) {
			return s3Hint(err)
		}
		return withHint(err, "give the bundle folder made by raysynth bundle, or an s3:// release")
	}
	out := verifyOutput{VerifyResult: res, OK: res.OK(), EquivalentCommands: equivalentCommands(ref, o.keys[0], o.endpoint), CosignOffline: cosignOfflineNote}
	if out.Problems == nil {
		out.Problems = []manifest.Problem{}
	}
	if o.json {
		if err := g.printJSON(out); err != nil {
			return err
		}
	} else {
		printVerify(g.stdout, out)
	}
	printLoadWarnings(g.stderr, res.Warnings)
	if !res.OK() {
		return verifyFailed(withHint(fmt.Errorf("%s: %d problem(s) (rules: %s): the bundle is incomplete, tampered or not signed by the key", ref, len(res.Problems), problemKinds(res)),
			"do not use this bundle; ask the publisher for the release again, or check that --key is the publisher's key"))
	}
	return nil
}

func printVerify(w io.Writer, out verifyOutput) {
	r := out.VerifyResult
	if !out.OK {
		fmt.Fprintf(w, "FAILED: %s\n", r.Source)
		for _, p := range r.Problems {
			fmt.Fprintf(w, "  %-40s %-14s %s\n", p.File, p.Kind, p.Detail)
		}
		fmt.Fprintf(w, "what the bundle claims (NOT verified, do not rely on it):\n")
	} else {
		fmt.Fprintf(w, "OK: %s\n", r.Source)
	}
	fmt.Fprintf(w, "name:       %s\n", orUnknown(r.Name))
	fmt.Fprintf(w, "version:    %s\n", orUnknown(r.Version))
	fmt.Fprintf(w, "signed by:  %s\n", signers(r))
	if r.HighestSignedVersion != "" {
		fmt.Fprintf(w, "latest:     %s is the highest signed version under the name\n", r.HighestSignedVersion)
	}
	fmt.Fprintf(w, "bagged:     %s\n", orUnknown(r.Bagged))
	var classes []string
	for c, n := range r.ImagesPerClass {
		classes = append(classes, fmt.Sprintf("%s %d", c, n))
	}
	slices.Sort(classes)
	fmt.Fprintf(w, "images:     %d (%s)\n", r.Images, strings.Join(classes, ", "))
	privacy := "passed"
	if !r.PrivacyPassed {
		privacy = "FAILED (" + strings.Join(r.FailedChecks, ", ") + ")"
	}
	fmt.Fprintf(w, "privacy:    %s\n", privacy)
	for _, ov := range r.Overrides {
		fmt.Fprintf(w, "OVERRIDE:   %s gate overridden, failed checks %s, reason: %q\n", ov.Gate, strings.Join(ov.FailedChecks, ", "), ov.Reason)
	}
	if r.DP != nil {
		fmt.Fprintf(w, "DP:         epsilon %g, delta %g (largest over classes)\n", r.DP.Epsilon, r.DP.Delta)
	} else {
		fmt.Fprintf(w, "DP:         none\n")
	}
	if n := len(r.Warnings); n > 0 {
		fmt.Fprintf(w, "croissant:  does not load cleanly in Croissant readers (%d warning(s), on stderr)\n", n)
	} else if out.OK {
		fmt.Fprintf(w, "croissant:  loads (records, joins and @context checked)\n")
	}
	fmt.Fprintf(w, "\nthe same checks with standard tools (in the bundle folder):\n")
	for _, c := range out.EquivalentCommands {
		fmt.Fprintf(w, "  %s\n", c)
	}
	fmt.Fprintf(w, "  (%s)\n", out.CosignOffline)
}

// printLoadWarnings prints verify's warnings: the bundle is intact, but its croissant.json would
// not load in Croissant readers (mlcroissant, and the loaders built on it).
func printLoadWarnings(w io.Writer, warnings []manifest.Problem) {
	for _, p := range warnings {
		fmt.Fprintf(w, "raysynth: warning: %s: %s: %s\n", p.File, p.Kind, p.Detail)
	}
	if len(warnings) > 0 {
		fmt.Fprintf(w, "raysynth: hint: the images and index.csv are intact; load them from data/images/<class>/ and data/index.csv, or ask the publisher for a release made by a newer raysynth bundle\n")
	}
}

// problemKinds lists the distinct kinds of the problems: the rules that failed.
func problemKinds(r *manifest.VerifyResult) string {
	var kinds []string
	for _, p := range r.Problems {
		if !slices.Contains(kinds, p.Kind) {
			kinds = append(kinds, p.Kind)
		}
	}
	slices.Sort(kinds)
	return strings.Join(kinds, ", ")
}

// signers is "key H" when one key signed everything, else each signed file with its key.
func signers(r *manifest.VerifyResult) string {
	var files []string
	keys := map[string]bool{}
	for f, h := range r.Signers {
		files = append(files, f)
		keys[h] = true
	}
	if len(keys) <= 1 {
		return "key " + orUnknown(r.KeyHint)
	}
	slices.Sort(files)
	var parts []string
	for _, f := range files {
		parts = append(parts, "key "+r.Signers[f]+" ("+f+")")
	}
	return strings.Join(parts, ", ")
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

// equivalentCommands are the cosign and sha256sum commands a researcher runs without raysynth,
// from inside the bundle folder (so a key file is given by its absolute path).
func equivalentCommands(ref, key, endpoint string) []string {
	var cmds []string
	if strings.HasPrefix(ref, "s3://") {
		cmds = append(cmds, "raysynth fetch "+ref+" --key "+shellQuote(key)+endpointArg(ref, endpoint)+" --out BUNDLE", "cd BUNDLE")
	} else {
		cmds = append(cmds, "cd "+shellQuote(ref))
	}
	if !strings.Contains(key, "://") {
		if abs, err := filepath.Abs(key); err == nil {
			key = abs
		}
	}
	return append(cmds, manifest.StandardToolCommands(shellQuote(key))...)
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`*?[]#~=%&;|<>(){}!") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
