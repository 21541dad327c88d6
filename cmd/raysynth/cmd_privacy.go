package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/raysynth/raysynth/internal/workspace"
	"github.com/raysynth/raysynth/pipeline"
	"github.com/raysynth/raysynth/privacy"
	"github.com/raysynth/raysynth/synth"
	"github.com/raysynth/raysynth/train"
	"github.com/spf13/cobra"
)

type privacyOptions struct {
	policy        string
	embedding     []string
	filter        bool
	maxRounds     int
	candidates    string
	maxSuspicious int
	printPolicy   bool
	json          bool
	shard         string
	merge         bool
	mergeDirs     []string
	blockRefs     int
}

func (o *privacyOptions) addFlags(c *cobra.Command) {
	f := c.Flags()
	f.StringVar(&o.policy, "policy", "", "policy file (JSON or YAML) with the thresholds; default: the built-in policy (see --print-policy)")
	f.StringSliceVar(&o.embedding, "embedding", []string{"pixel"}, "embeddings to check in: pixel (always), classifier")
	f.BoolVar(&o.filter, "filter", false, "remove flagged candidates, generate replacements and check again (privacy-enhancing sampling)")
	f.IntVar(&o.maxRounds, "max-rounds", 5, "with --filter: rounds of replacement before giving up")
	f.StringVar(&o.candidates, "candidates", "", "check the PNG, JPEG or DICOM images under this folder instead of the workspace's candidates (class from a first-level folder named after a class)")
	f.IntVar(&o.maxSuspicious, "max-suspicious", 24, "how many of the most suspicious synthetic images report.html shows beside their nearest training image")
	f.BoolVar(&o.printPolicy, "print-policy", false, "print the policy in effect (YAML) and exit")
	f.BoolVar(&o.json, "json", false, "print the public summary (summary.json) and the report paths as JSON on stdout")
	f.StringVar(&o.shard, "shard", "", "run only shard i/n of the nearest-neighbour searches (split by reference block) and write it to privacy/shards/i-of-n; see docs/privacy.md")
	f.IntVar(&o.blockRefs, "block-refs", 2048, "references per block of the nearest-neighbour search, the unit --shard splits (memory and speed only; every shard and the merge must use the same)")
	f.BoolVar(&o.merge, "merge", false, "merge the shard folders given as arguments (every shard of one split, from the same inputs) and check as one run would")
}

func newPrivacyCmd(g *globals) *cobra.Command {
	var o privacyOptions
	c := &cobra.Command{
		Use:     "privacy",
		GroupID: groupRelease,
		Short:   "Check that synthetic images are not copies of patients; gate the release",
		Long: `Compares the synthetic candidates S with the real training split T and the real holdout H
(patients the generators never saw) by exact nearest-neighbour search, runs the memorization,
distance-to-closest-record, membership-inference and adversarial-accuracy checks per class and
overall, and applies the policy's thresholds.

Writes privacy/report.json and privacy/report.html (PRIVATE: they show real patient images and
must never be published) and privacy/summary.json (public aggregate numbers, what a release
carries). When the gate passes, the approved images go to approved/: next, raysynth bundle and
raysynth publish (raysynth run does both).

When the gate fails (exit code 3, the failing checks named with their values and thresholds):
  - candidates flagged as copies: --filter removes and replaces them, or retrain with fewer
    epochs, more images or differential privacy (raysynth train gan --dp-epsilon)
  - a distribution check (share nearer train, percentiles, membership, adversarial): the
    generators sit closer to their patients than to unseen ones; retrain, synth, check again
  - report.html shows the suspicious images beside their nearest training film
  - never loosen a threshold to make a run pass`,
		Example: `  raysynth privacy
  raysynth privacy --policy policy.yaml --json
  raysynth privacy --filter --max-rounds 3
  raysynth privacy --candidates ./diffusion-samples     # images made by another tool
  raysynth privacy --print-policy > policy.yaml          # start a policy file from the defaults
  raysynth privacy --shard 2/4                           # one machine's part of a split search
  raysynth privacy --merge ws/privacy/shards/*           # the verdict from every shard`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !o.merge && len(args) > 0 {
				return usageErrorf("unexpected argument %q (shard folders are given with --merge)", args[0])
			}
			if o.merge && len(args) == 0 {
				return usageErrorf("--merge needs the shard folders as arguments, e.g. --merge ws/privacy/shards/*")
			}
			o.mergeDirs = args
			return runPrivacy(cmd.Context(), g, o)
		},
	}
	o.addFlags(c)
	return c
}

func runPrivacy(ctx context.Context, g *globals, o privacyOptions) error {
	cfg, err := privacyConfig(g, o)
	if err != nil {
		return err
	}
	if o.printPolicy {
		_, err := g.stdout.Write(cfg.Policy.YAML())
		return err
	}
	var shard privacy.Shard
	if o.shard != "" {
		var err error
		if shard, err = privacy.ParseShard(o.shard); err != nil {
			return usageErrorf("--shard: %v", err)
		}
		if o.merge {
			return usageErrorf("--shard and --merge: a run is one shard or the merge of all of them")
		}
	}
	if o.filter && (o.shard != "" || o.merge) {
		return usageErrorf("--filter checks again after each replacement round and cannot be sharded")
	}
	if o.filter && o.candidates != "" {
		return usageErrorf("--filter regenerates with the workspace's generators and cannot be used with --candidates")
	}
	ws, err := workspace.Open(g.workspace)
	if err != nil {
		return err
	}
	cfg.Workspace = ws
	if o.classifierEmbedding() {
		p := filepath.Join(ws.ClassifierDir(), train.ClassifierModelFile)
		c, err := train.LoadClassifier(p)
		if err != nil {
			return withHint(fmt.Errorf("--embedding classifier: %w", err), "train it with raysynth train classifier, or check in pixel space only (--embedding pixel)")
		}
		cfg.Embedders = append(cfg.Embedders, c)
	}
	if o.filter {
		gs := synth.NewGenerators(ws, 64)
		defer gs.Close()
		cfg.Generator = gs
	}
	rep, wait := g.newReporter()
	cfg.Progress, cfg.Shard, cfg.Merge = rep, shard, o.mergeDirs
	res, err := privacy.Run(ctx, cfg)
	wait()
	if err != nil {
		return privacyHint(err, nil, o.candidates == "")
	}
	if res.ShardDir != "" {
		if o.json {
			return g.printJSON(struct {
				Shard   string  `json:"shard"`
				Dir     string  `json:"dir"`
				Seconds float64 `json:"seconds"`
			}{shard.String(), res.ShardDir, res.Seconds})
		}
		fmt.Fprintf(g.stdout, "shard %s: %s\n", shard, res.ShardDir)
		fmt.Fprintf(g.stderr, "raysynth: shard %s done in %.1f s; when every shard is done: raysynth privacy --merge DIR... (one folder per shard)\n", shard, res.Seconds)
		return nil
	}
	if o.json {
		if err := g.printJSON(struct {
			*privacy.Summary
			Report   string `json:"report"`
			HTML     string `json:"report_html"`
			Approved string `json:"approved_index,omitempty"`
		}{res.Summary, res.ReportPath, res.HTMLPath, res.ApprovedPath}); err != nil {
			return err
		}
	} else if err := printPrivacyChecks(g.stdout, res); err != nil {
		return err
	}
	if !res.Passed {
		return privacyHint(res.Err(), res, false)
	}
	printPrivacyPassed(g, res)
	return nil
}

// privacyConfig is privacy's configuration from its options: the policy read and the embedding
// names checked, without the workspace, the embedders and the generators (run's privacy stage
// uses it too).
func privacyConfig(g *globals, o privacyOptions) (privacy.Config, error) {
	pol, src, sum := privacy.DefaultPolicy(), "default", ""
	if o.policy != "" {
		b, err := os.ReadFile(o.policy)
		if err != nil {
			return privacy.Config{}, withHint(fmt.Errorf("read policy %s: %w", o.policy, err), "start one with raysynth privacy --print-policy > policy.yaml")
		}
		if pol, err = privacy.ParsePolicy(b); err != nil {
			return privacy.Config{}, withHint(fmt.Errorf("policy %s: %w", o.policy, err), "see raysynth privacy --print-policy for every key and its default")
		}
		src, sum = o.policy, privacy.HashBytes(b)
	} else {
		sum = privacy.HashBytes(pol.YAML())
	}
	for _, e := range o.embedding {
		if e := strings.TrimSpace(e); e != "pixel" && e != "classifier" && !o.printPolicy {
			return privacy.Config{}, usageErrorf("--embedding %q: want pixel or classifier", e)
		}
	}
	if o.blockRefs < 1 {
		return privacy.Config{}, usageErrorf("--block-refs %d: want at least 1", o.blockRefs)
	}
	return privacy.Config{Policy: pol, PolicySource: src, PolicySHA256: sum, CandidatesDir: o.candidates,
		Filter: o.filter, MaxRounds: o.maxRounds, MaxSuspicious: o.maxSuspicious, BlockRefs: o.blockRefs, Log: g.log, CodeVersion: versionString()}, nil
}

// runConfig is privacy's part of run's pipeline configuration, with what its fingerprint reads
// besides the workspace.
func (o *privacyOptions) runConfig(_ context.Context, g *globals, cfg *pipeline.Config) (err error) {
	cfg.PrivacyPolicy, cfg.PrivacyClassifier, cfg.Options[pipeline.Privacy] = o.policy, o.classifierEmbedding(), *o
	cfg.Privacy, err = privacyConfig(g, *o)
	return err
}

// classifierEmbedding reports whether the checks run in the classifier's embedding too.
func (o *privacyOptions) classifierEmbedding() bool {
	return slices.ContainsFunc(o.embedding, func(e string) bool { return strings.TrimSpace(e) == "classifier" })
}

// privacyHint says what to do about a privacy error; res is the result when the gate failed.
func privacyHint(err error, res *privacy.Result, workspaceCandidates bool) error {
	switch {
	case errors.Is(err, privacy.ErrShards):
		return withHint(err, "merge every shard i/n of one split, each made by the same raysynth from a copy of this workspace (same images, candidates and policy)")
	case errors.Is(err, privacy.ErrCandidates) && workspaceCandidates:
		return withHint(err, "make candidates with raysynth synth, or check a folder of images with --candidates DIR")
	case errors.Is(err, privacy.ErrAllFlagged):
		// the gate failed: nothing can be released from this generator as it is
		return withHint(err, "the generators copy their training images: train with fewer epochs, more images, or DP (--dp-epsilon); see privacy/report.json")
	case res == nil || res.Passed:
		return err
	}
	var lines []string
	for _, c := range res.Failed {
		l := fmt.Sprintf("%s: value %.4g (bound %.4g), must be %s %.4g", c.ID(), c.Value, c.Bound, c.Rule, c.Threshold)
		if c.Note != "" {
			l += " (" + c.Note + ")"
		}
		lines = append(lines, l)
	}
	h := "failing checks:\n  " + strings.Join(lines, "\n  ") +
		"\nsee " + res.HTMLPath + " (PRIVATE) for the suspicious images beside their nearest training patient" +
		"\nwhat to do next:\n  " + strings.Join(privacy.Advice(res.Failed, len(res.Flagged)), "\n  ")
	h += fmt.Sprintf("\nthe %d checked candidates that were not flagged are kept in %s: only raysynth bundle --override-privacy-gate \"REASON\" releases them", res.Checked, res.CheckedPath)
	return withHint(err, h)
}

// printPrivacyChecks prints every check and where the reports are on out (stdout; run: stderr).
func printPrivacyChecks(out io.Writer, res *privacy.Result) error {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "EMBEDDING\tCHECK\tCLASS\tVALUE\tBOUND\tRULE\tTHRESHOLD\tRESULT")
	for _, c := range res.Summary.Checks {
		cls, r := c.Class, "pass"
		if cls == "" {
			cls = "all"
		}
		if !c.Passed {
			r = "FAIL"
		}
		if c.Note != "" {
			r += " (" + c.Note + ")"
		}
		if c.Passed && c.Note != "" {
			r = "pass (point estimate beyond threshold, not significant)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.4g\t%.4g\t%s\t%.4g\t%s\n", c.Embedding, c.Name, cls, c.Value, c.Bound, c.Rule, c.Threshold, r)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nprivate report: %s\nprivate report: %s\npublic summary: %s\n", res.ReportPath, res.HTMLPath, res.SummaryPath)
	if res.ApprovedPath != "" {
		fmt.Fprintf(out, "approved: %d images in %s\n", res.Summary.Counts.Approved, res.ApprovedPath)
	}
	return nil
}

func printPrivacyPassed(g *globals, res *privacy.Result) {
	fmt.Fprintf(g.stderr, "raysynth: privacy gate passed in %.1f s\n", res.Seconds)
	fmt.Fprintf(g.stderr, "raysynth: next: raysynth bundle --name NAME --version VERSION --key KEY, then raysynth publish (the bundle carries %s, never the private report)\n", res.SummaryPath)
}
