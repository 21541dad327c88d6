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
	"time"

	"github.com/raysynth/raysynth/evaluate"
	"github.com/raysynth/raysynth/ingest"
	"github.com/raysynth/raysynth/internal/flagfile"
	"github.com/raysynth/raysynth/internal/progress"
	"github.com/raysynth/raysynth/internal/workspace"
	"github.com/raysynth/raysynth/manifest"
	"github.com/raysynth/raysynth/pipeline"
	"github.com/raysynth/raysynth/privacy"
	"github.com/raysynth/raysynth/publish"
	"github.com/raysynth/raysynth/synth"
	"github.com/raysynth/raysynth/train"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// runOptions holds run's own flags and one options struct per stage, filled by the same flags
// the single commands have (prefixed with the stage: --gan-epochs is train gan's --epochs).
type runOptions struct {
	config    string
	pub       string
	bundleOut string
	until     string
	json      bool

	ingest     ingestOptions
	gan        trainGANOptions
	synth      synthOptions
	classifier trainClassifierOptions
	privacy    privacyOptions
	evaluate   evaluateOptions
	bundle     bundleOptions
	publish    publishOptions
}

// runStageOptions is a stage's options as run uses them: the single command's flags, and the
// stage's part of the pipeline's configuration (built by the single command's function, next to
// it in cmd_X.go): its package's config, what its fingerprint reads, the options themselves.
type runStageOptions interface {
	addFlags(*cobra.Command)
	runConfig(ctx context.Context, g *globals, cfg *pipeline.Config) error
}

// runFlagGroup is one stage on run: its flags carry the section's prefix (they are the keys of
// its section in --config), except the Top ones; run sets the Omit ones itself.
type runFlagGroup struct {
	flagfile.Section
	opts runStageOptions
}

func (o *runOptions) groups() []runFlagGroup {
	sec := func(name string, top, omit []string) flagfile.Section {
		return flagfile.Section{Name: name, Top: top, Omit: omit}
	}
	return []runFlagGroup{
		{sec("ingest", []string{"from", "labels"}, []string{"json"}), &o.ingest},
		{sec("gan", nil, []string{"json", "restart"}), &o.gan},
		{sec("synth", nil, []string{"json"}), &o.synth},
		{sec("classifier", nil, []string{"json", "restart"}), &o.classifier},
		{sec("privacy", nil, []string{"json", "candidates", "print-policy", "shard", "merge"}), &o.privacy},
		{sec("evaluate", nil, []string{"json", "repeat"}), &o.evaluate},
		{sec("bundle", []string{"name", "version", "key"}, []string{"json", "out", "override-privacy-gate"}), &o.bundle},
		{sec("publish", []string{"to"}, []string{"json", "key"}), &o.publish},
	}
}

// runShownFlags are the stage flags run --help shows; the others are hidden there (the help has
// to fit a screen) and listed in docs/run.md.
var runShownFlags = []string{"gan-epochs", "gan-dp-epsilon", "synth-per-class", "privacy-filter", "privacy-policy", "publish-endpoint"}

// runTopKeys are the config keys outside any stage section (besides workspace).
var runTopKeys = []string{"from", "labels", "name", "version", "key", "to", "pub", "bundle-out"}

// runPathKeys are the config keys holding paths, resolved against the config file's folder.
var runPathKeys = map[string]bool{"from": true, "labels": true, "key": true, "pub": true, "to": true,
	"bundle-out": true, "workspace": true, "privacy-policy": true, "evaluate-test-workspace": true}

func newRunCmd(g *globals) *cobra.Command { return newRunCmdWith(g, &runOptions{}) }

// newRunCmdWith builds run's command over o (a test reaches --config's parser through o).
func newRunCmdWith(g *globals, o *runOptions) *cobra.Command {
	c := &cobra.Command{
		Use:     "run --from PATH [--labels FILE] --name NAME --version SEMVER --key KEY --to s3://BUCKET/PREFIX|DIR",
		Short:   "One command from an export folder to a verified release: every stage in order, resumable",
		GroupID: groupRelease,
		Long: `run chains every stage of a release with the flags of the single commands:
ingest (--ingest-*), train gan (--gan-*), synth (--synth-*), train classifier (--classifier-*),
privacy --filter (--privacy-*), evaluate (--evaluate-*), bundle (--bundle-*), publish
(--publish-*), then verify. A stage's flags carry its prefix: --gan-epochs 5 is "raysynth train
gan --epochs 5"; the few most used are listed below, docs/run.md lists them all.

A config file (--config, YAML or JSON) can hold every option: run's own at the top, each stage's
in a section named after it. Resumable: run the same command again after Ctrl-C or a failure and
finished stages are skipped. The privacy gate stops the run when it fails (exit code 3, nothing
released). Stdout carries only run's summary (or --json); stages report on stderr. More in
docs/run.md: the config file, resuming, keys and passwords, download links.`,
		Example: `  # a signed release of an export folder, published to a bucket
  export RAYSYNTH_PASSWORD=…  AWS_ENDPOINT_URL_S3=https://minio.hospital.local:9000 AWS_ACCESS_KEY_ID=… AWS_SECRET_ACCESS_KEY=…
  raysynth run --from export/ --labels export/labels.csv --name chest --version 1.0.0 \
      --key hospital.key --to s3://releases/chest
  # every option in a file (docs/run.md shows one), fewer GAN epochs from the command line
  raysynth run --config pipeline.yaml --gan-epochs 10
  # generators trained with differential privacy, at most epsilon 4 per class and patient
  raysynth run --config pipeline.yaml --gan-dp-epsilon 4
  # stopped (Ctrl-C, a failed stage)? the same command again continues where it stopped
  raysynth run --config pipeline.yaml --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.config != "" {
				if err := applyRunConfig(cmd, o); err != nil {
					return err
				}
			}
			o.ingest.seedSet = cmd.Flags().Changed("ingest-seed")
			o.gan.dp = o.gan.dpConfig(cmd.Flags(), "gan-")
			return runRun(cmd.Context(), g, o)
		},
	}
	f := c.Flags()
	f.StringVar(&o.config, "config", "", "YAML or JSON file with run's options (see above); flags override it")
	f.StringVar(&o.pub, "pub", "", "public key to verify the release with (default: KEY with .pub for .key, or WORKSPACE/run/signer.pub)")
	f.StringVar(&o.bundleOut, "bundle-out", "", "folder for the bundle before publishing (default WORKSPACE/run/bundle/NAME-VERSION)")
	f.StringVar(&o.until, "until", "", "stop after this stage: "+pipeline.UntilList(", ")+" (run again without it to go on)")
	f.BoolVar(&o.json, "json", false, "print run's summary as JSON on stdout (stages' own output goes to stderr)")
	for _, gr := range o.groups() {
		stage := &cobra.Command{}
		gr.opts.addFlags(stage)
		// --help shows a few; every one works, and docs/run.md lists them all
		gr.AddFlags(f, stage.Flags(), func(name string) bool { return slices.Contains(runShownFlags, name) })
	}
	// run filters by default: the gate would otherwise stop on the first flagged candidate.
	if fl := f.Lookup("privacy-filter"); fl != nil {
		fl.Value.Set("true")
		fl.DefValue = "true"
	}
	return c
}

// applyRunConfig reads --config and sets every flag the command line did not set: run's own
// keys at the top, each stage's in a section named after it.
func applyRunConfig(cmd *cobra.Command, o *runOptions) error {
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	fs.AddFlagSet(cmd.Flags())
	fs.AddFlagSet(cmd.Root().PersistentFlags()) // --workspace
	spec := flagfile.Spec{Top: append(slices.Clone(runTopKeys), "workspace"), Paths: runPathKeys}
	for _, gr := range o.groups() {
		spec.Sections = append(spec.Sections, gr.Section)
	}
	return flagfile.Apply(o.config, fs, spec) // a *flagfile.Error is a bad command line (exit code 2)
}

func runRun(ctx context.Context, g *globals, o *runOptions) error {
	start := time.Now()
	var missing []string
	for _, f := range [][2]string{{"--from", o.ingest.from}, {"--name", o.bundle.name}, {"--version", o.bundle.version}, {"--key", o.bundle.key}, {"--to", o.publish.to}} {
		if f[1] == "" {
			missing = append(missing, f[0])
		}
	}
	if len(missing) > 0 {
		return usageErrorf("%s required (as flags or in --config)", strings.Join(missing, ", "))
	}
	if o.synth.perClass > 0 && o.synth.balance {
		return usageErrorf("give at most one of --synth-per-class and --synth-balance")
	}
	if o.synth.perClass == 0 {
		o.synth.balance = true
	}
	if _, err := os.Stat(o.ingest.from); err != nil {
		return usageErrorf("--from %s: %v", o.ingest.from, errors.Unwrap(err))
	}
	// The release names who publishes it; only phantom data (raysynth phantom writes phantom.json)
	// may leave it out. Checked here, not hours later at the bundle stage.
	if strings.TrimSpace(o.bundle.organization) == "" {
		if _, err := os.Stat(filepath.Join(o.ingest.from, "phantom.json")); err != nil {
			return usageErrorf("--bundle-organization (or bundle: {organization: …} in --config) is required: the dataset card names who releases the data; only raysynth phantom images may leave it out")
		}
	}
	if err := os.MkdirAll(g.workspace, 0o755); err != nil {
		return fmt.Errorf("create workspace: %w", err)
	}
	ws := &workspace.Workspace{Dir: g.workspace}
	var until pipeline.Stage
	if o.until != "" {
		var err error
		if until, err = pipeline.ParseUntil(o.until); err != nil {
			return usageError{err}
		}
	}
	if _, err := pipeline.LoadState(pipeline.StatePath(ws)); err != nil {
		return err // a damaged state, before the password is asked
	}

	// The key first: a wrong password must not surface after an hour of training.
	signer, err := manifest.LoadSigner(ctx, o.bundle.key, func() ([]byte, error) { return g.password(false) })
	if err != nil {
		return signerHint(err)
	}
	pubRef, err := pipeline.PublicKey(ctx, ws, o.bundle.key, o.pub, signer)
	if err != nil {
		return withHint(err, "give the public half of --key with --pub") // a mismatch is a bad command line (exit.go)
	}
	if o.bundleOut == "" {
		o.bundleOut = pipeline.DefaultBundleOut(ws, o.bundle.name, o.bundle.version)
	}
	o.bundle.out = o.bundleOut
	o.publish.keys = []string{pubRef}

	r := &runOutput{g: g, o: o, ws: ws}
	cfg, err := o.pipelineConfig(ctx, g, ws, signer, pubRef)
	if err != nil {
		return err
	}
	cfg.Until, cfg.Notify = until, r.event
	psum, runErr := pipeline.Run(ctx, cfg)
	runErr = r.hint(runErr)
	if errors.Is(runErr, pipeline.ErrBundleFolder) {
		runErr = withHint(runErr, "move it away, or give another folder with --bundle-out")
	}
	if psum == nil {
		return runErr
	}
	// The summary, whatever happened.
	sum := pipeline.NewReport(&cfg, psum, runErr)
	sum.Until, sum.Seconds = o.until, time.Since(start).Seconds()
	if sum.Location != "" {
		sum.VerifyCommand = "raysynth verify " + shellQuote(sum.Location) + " --key " + shellQuote(pubRef) + endpointArg(sum.Location, o.publish.endpoint)
	}
	if o.json {
		if err := g.printJSON(sum); err != nil {
			return err
		}
	} else {
		printRunSummary(g.stdout, sum)
	}
	return runErr
}

// pipelineConfig is the pipeline's configuration: each stage's part from its options (as its
// single command builds it), run's own, and what the pipeline fingerprints.
func (o *runOptions) pipelineConfig(ctx context.Context, g *globals, ws *workspace.Workspace, signer *manifest.Signer, pubRef string) (pipeline.Config, error) {
	cfg := pipeline.Config{Workspace: ws, Name: o.bundle.name, Version: o.bundle.version,
		BundleOut: o.bundleOut, SignerHint: signer.Public().Hint(), PublicKey: pubRef, Options: map[pipeline.Stage]any{},
		Verify: func(ctx context.Context, location string) error {
			return runVerify(ctx, g, g.stderr, location, &verifyOptions{keys: []string{pubRef}, endpoint: o.publish.endpoint})
		},
		Progress: func(pipeline.Stage) (progress.Reporter, func()) { return g.newReporter() }}
	for _, gr := range o.groups() {
		if err := gr.opts.runConfig(ctx, g, &cfg); err != nil {
			return cfg, err
		}
	}
	cfg.Bundle.Signer = signer
	return cfg, nil
}

// runOutput prints what the pipeline reports, as the single commands do, and gives their hints.
type runOutput struct {
	g  *globals
	o  *runOptions
	ws *workspace.Workspace

	privacy *privacy.Result // the privacy stage's, for the hint of a failed gate
}

// event tells people on stderr what the pipeline does, and prints each stage's result as the
// single command does (its tables on stderr: stdout is run's summary).
func (r *runOutput) event(e pipeline.Event) {
	if e.Kind != pipeline.Reported {
		printRunEvent(r.g.stderr, e)
		return
	}
	g, out := r.g, r.g.stderr // the stages' tables too: stdout is run's summary only
	switch res := e.Result.(type) {
	case *ingest.Report:
		printIngestSummary(g, res)
	case *train.GANResult:
		printGANResult(g, out, r.o.gan, res)
	case *synth.Result:
		printSynthResult(g, out, res)
	case *train.ClassifierSummary:
		printClassifierSummary(out, r.ws, res)
	case *evaluate.Report:
		printEvaluateWritten(g, r.ws, res)
		printEvaluateReport(out, res)
	case *manifest.BuildResult:
		printBundleBuilt(out, res)
	case *publish.Result:
		printPublished(out, res)
	case *privacy.Result:
		r.privacy = res
		printPrivacyChecks(out, res)
		if res.Passed {
			printPrivacyPassed(g, res)
		}
	}
}

// hint gives a stage's error the single command's hint; a configuration a package refused is a
// bad command line.
func (r *runOutput) hint(err error) error {
	var ce *pipeline.ConfigError
	if errors.As(err, &ce) {
		return usageError{err}
	}
	var se *pipeline.StageError
	if !errors.As(err, &se) {
		return err
	}
	switch se.Stage {
	case pipeline.Ingest:
		return ingestHint(err, r.g.workspace)
	case pipeline.GAN:
		return checkpointHint(ganHint(err), r.ws.Path("gan"))
	case pipeline.Synth:
		return synthHint(err)
	case pipeline.Classifier:
		return checkpointHint(classifierHint(err), r.ws.ClassifierDir())
	case pipeline.Evaluate:
		return evaluateHint(err)
	case pipeline.Bundle:
		return bundleHint(err, "nothing was released; see privacy/report.html for why")
	case pipeline.Publish:
		return publishHint(err, r.o.bundleOut, &r.o.publish)
	case pipeline.Privacy:
		return privacyHint(err, r.privacy, true)
	}
	return err
}

// checkpointHint explains a checkpoint left by a training run outside raysynth run with other
// settings: run resumes only what it started itself, and never discards training it did not do.
func checkpointHint(err error, dir string) error {
	if errors.Is(err, train.ErrCheckpointMismatch) {
		return withHint(err, "the workspace holds training started outside raysynth run with other settings;\n"+
			"move "+dir+" away to train from scratch, or give run the settings of that training")
	}
	return err
}

// printRunEvent tells people on stderr what the pipeline does.
func printRunEvent(w io.Writer, e pipeline.Event) {
	name := e.Stage.Name()
	switch e.Kind {
	case pipeline.Starting:
		fmt.Fprintf(w, "raysynth run: stage %d of %d: %s\n", e.Index, e.Total, name)
	case pipeline.SkippedDone:
		fmt.Fprintf(w, "raysynth run: %s: skipped (done, inputs unchanged)\n", name)
	case pipeline.OutputsChanged:
		fmt.Fprintf(w, "raysynth run: %s: its outputs changed since it finished; running it again\n", name)
	case pipeline.InputsChanged:
		fmt.Fprintf(w, "raysynth run: %s: inputs changed since it last ran; running it again\n", name)
	case pipeline.Finished:
		fmt.Fprintf(w, "raysynth run: %s: done in %.1f s\n", name, e.Seconds)
	}
}

func printRunSummary(w io.Writer, s *pipeline.Report) {
	state := "complete"
	if s.Until != "" {
		state = "stopped after --until " + s.Until + " as asked"
	}
	if !s.OK {
		state = "stopped"
	}
	fmt.Fprintf(w, "raysynth run %s %s: %s in %.0f s (workspace %s)\n\n", s.Name, s.Version, state, s.Seconds, s.Workspace)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for i, r := range s.Stages {
		secs := ""
		if r.Seconds > 0 {
			secs = fmt.Sprintf("%.1f s", r.Seconds)
		}
		fmt.Fprintf(tw, "  %d/%d\t%s\t%s\t%s\n", i+1, len(s.Stages), r.Stage, r.Status, secs)
	}
	tw.Flush()
	if p := s.Privacy; p != nil {
		if p.Passed {
			var cs []string
			for c, n := range p.PerClass {
				cs = append(cs, fmt.Sprintf("%s %d", c, n))
			}
			slices.Sort(cs)
			fmt.Fprintf(w, "\nprivacy gate: passed; %d of %d candidates approved (%s), %d removed by the filter\n", p.Approved, p.Candidates, strings.Join(cs, ", "), p.Removed)
		} else {
			fmt.Fprintf(w, "\nprivacy gate: FAILED (%s): nothing was bundled or published\n", strings.Join(p.FailedChecks, ", "))
		}
		fmt.Fprintf(w, "  public summary: %s\n  private report (never publish): %s\n", p.PublicSummary, p.PrivateReport)
	}
	if len(s.DP) > 0 {
		var worst *train.DPSummary
		for _, d := range s.DP {
			if worst == nil || d.Epsilon > worst.Epsilon || (d.Epsilon == worst.Epsilon && d.Delta > worst.Delta) {
				worst = d
			}
		}
		fmt.Fprintf(w, "\ndifferential privacy (per patient, each class's generator): epsilon %.4g at delta %.3g, the largest over %d classes (accountant %s)\n",
			worst.Epsilon, worst.Delta, len(s.DP), worst.Accountant)
	}
	if s.EvalTable != "" {
		fmt.Fprintf(w, "\nevaluation on the holdout patients (%s):\n%s", s.EvalReport, s.EvalTable)
	}
	if s.Bundle != "" {
		fmt.Fprintf(w, "\nbundle: %s (signed by key %s)\n", s.Bundle, s.KeyHint)
	}
	if s.Location != "" {
		fmt.Fprintf(w, "published: %s\nresearchers verify it with:\n  %s\n", s.Location, s.VerifyCommand)
	}
	if s.LinksFile != "" {
		fmt.Fprintf(w, "download links (valid until %s): %s\n", s.LinksExpire, s.LinksFile)
	}
	if !s.OK {
		fmt.Fprintf(w, "\nrun the same command again to continue: finished stages are skipped\n")
	}
}
