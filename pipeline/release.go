package pipeline

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
	"github.com/raysynth/raysynth/internal/fsutil"
	"github.com/raysynth/raysynth/internal/progress"
	"github.com/raysynth/raysynth/internal/workspace"
	"github.com/raysynth/raysynth/manifest"
	"github.com/raysynth/raysynth/privacy"
	"github.com/raysynth/raysynth/publish"
	"github.com/raysynth/raysynth/synth"
	"github.com/raysynth/raysynth/train"
)

// Config is one release run: where the stages read, what they are given, and who does the work.
type Config struct {
	Workspace *workspace.Workspace
	Name      string // release name and version
	Version   string
	From      string // the export folder (listed, not read, for ingest's fingerprint)
	Labels    string
	// Each stage's configuration, as the single command builds it. Run sets what only exists
	// once the earlier stages ran (the workspace, the progress reporter).
	Ingest     ingest.Config
	GAN        train.GANConfig
	Synth      synth.Config // without Classes: the classes with a trained generator
	Classifier train.ClassifierConfig
	Evaluate   evaluate.Config
	Privacy    privacy.Config       // the classifier's embedding (PrivacyClassifier) and the generators (Filter) are added by Run
	Bundle     manifest.BuildConfig // name, version, license, signer, …; the images and summaries are read from the workspace ([BundleConfig])
	Publish    publish.Config       // keys and options; the bundle and the store are set by Run
	// OpenStore opens the destination when the publish stage starts (credentials are looked at
	// then, not before the hours of training).
	OpenStore func(ctx context.Context) (publish.Store, error)
	// PublishRetention > 0 retains the release (Object Lock) that long from its publication.
	PublishRetention time.Duration
	// Verify checks the published release at location with PublicKey (cmd: raysynth verify).
	Verify func(ctx context.Context, location string) error
	// What some stages read besides the workspace, for their fingerprints.
	PrivacyPolicy         string // policy file, "" for the built-in one
	PrivacyClassifier     bool   // privacy also checks in the classifier's embedding
	ClassifierSynthetic   string // "approved", "candidates" or "": synthetic images the classifier trains on
	EvaluateCandidates    bool   // evaluate reads the candidates instead of the approved set
	EvaluateTestWorkspace string
	BundleOut             string        // "" for WORKSPACE/run/bundle/NAME-VERSION
	SignerHint            string        // the signing key's hint: a new key makes a new bundle
	PublicKey             string        // what verify checks the release with
	Options               map[Stage]any // each stage's options: part of its input fingerprint
	Until                 Stage         // "" or the stage to stop after
	Notify                func(Event)
	// Progress gives each stage a reporter, and a function to call when the stage's work ends
	// (before its result is reported); nil: none.
	Progress func(Stage) (progress.Reporter, func())

	work work // the stages' work: the packages (the tests put a recorder here)
}

// Validate checks the config.
func (c *Config) Validate() error {
	if c.Workspace == nil || c.Name == "" || c.Version == "" || c.From == "" {
		return errors.New("pipeline: workspace, name, version and from are required")
	}
	if c.Until != "" {
		if _, err := ParseUntil(string(c.Until)); err != nil {
			return err
		}
	}
	return nil
}

// StatePath is WORKSPACE/run/state.json.
func StatePath(ws *workspace.Workspace) string { return ws.Path("run", "state.json") }

// DefaultBundleOut is where run builds the bundle unless told otherwise.
func DefaultBundleOut(ws *workspace.Workspace, name, version string) string {
	return ws.Path("run", "bundle", name+"-"+version)
}

// Run runs the release's stages in order, resumably (see the package comment). The summary
// comes back whatever happened, with the error that stopped the run.
func Run(ctx context.Context, cfg Config) (*Summary, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.BundleOut == "" {
		cfg.BundleOut = DefaultBundleOut(cfg.Workspace, cfg.Name, cfg.Version)
	}
	statePath := StatePath(cfg.Workspace)
	st, err := LoadState(statePath)
	if err != nil {
		return nil, err
	}
	if cfg.work == nil {
		cfg.work = &direct{c: &cfg}
	}
	sum, err := RunSteps(ctx, StepsConfig{StatePath: statePath, State: st, Name: cfg.Name, Version: cfg.Version,
		Steps: cfg.steps(st), Until: cfg.Until, Notify: cfg.Notify})
	if sum != nil {
		sum.State = st
		if r := st.DoneRecord(Bundle, cfg.Name, cfg.Version); r != nil {
			sum.Bundle = r.Facts["bundle"]
		}
		sum.Location = st.Location(cfg.Name, cfg.Version)
		if r := st.DoneRecord(Publish, cfg.Name, cfg.Version); r != nil && r.Facts["links"] != "" {
			sum.LinksFile, sum.LinksExpire = r.Facts["links"], r.Facts["links_expire"]
		}
		cfg.readOutputs(sum, st)
	}
	return sum, err
}

// readOutputs reads the public outputs of the stages that ran for the summary: the privacy
// summary, each class's DP accounting, the evaluation report. Unreadable ones are left out.
func (c *Config) readOutputs(sum *Summary, st *State) {
	ws := c.Workspace
	if st.Record(Privacy, "", "") != nil {
		if b, err := os.ReadFile(ws.PrivacySummaryPath()); err == nil {
			var ps privacy.Summary
			if json.Unmarshal(b, &ps) == nil {
				sum.Privacy = &ps
			}
		}
	}
	if st.DoneRecord(GAN, "", "") != nil {
		ms, _ := filepath.Glob(ws.Path("gan", "*", train.SummaryFile))
		for _, m := range ms {
			gs, err := train.ReadGANSummary(m)
			if err != nil {
				continue
			}
			if dp, err := gs.DecodeDP(); err == nil && dp != nil {
				if sum.DP == nil {
					sum.DP = map[string]*train.DPSummary{}
				}
				sum.DP[filepath.Base(filepath.Dir(m))] = dp
			}
		}
	}
	if st.DoneRecord(Evaluate, "", "") != nil {
		if b, err := os.ReadFile(filepath.Join(ws.EvalDir(), evaluate.EvalReportJSON)); err == nil {
			var rep evaluate.Report
			if json.Unmarshal(b, &rep) == nil {
				sum.Evaluation = &rep
			}
		}
	}
}

func (c *Config) steps(st *State) []Step {
	ws, run := c.Workspace, c.work
	realIdx, metaFile := ws.RealIndexPath(), ws.Path("workspace.json")
	ganSummaries := ws.Path("gan", "*", train.SummaryFile)
	classifierModel := filepath.Join(ws.ClassifierDir(), train.ClassifierModelFile)
	tagManifest := filepath.Join(c.BundleOut, manifest.FileTagManifest)
	ganClasses := func() []string {
		var cs []string
		ms, _ := filepath.Glob(ganSummaries)
		for _, m := range ms {
			cs = append(cs, filepath.Base(filepath.Dir(m)))
		}
		slices.Sort(cs)
		return cs
	}
	fp := func(parts func(h *Fingerprint)) func() (string, error) {
		return func() (string, error) { h := &Fingerprint{}; parts(h); return h.Sum() }
	}
	out := func(parts func(h *Fingerprint)) func(*Record) (string, error) {
		return func(*Record) (string, error) { h := &Fingerprint{}; parts(h); return h.Sum() }
	}
	return []Step{
		{Stage: Ingest,
			Inputs: fp(func(h *Fingerprint) {
				h.Add("options", c.Options[Ingest])
				h.Tree("from", c.From)
				if c.Labels != "" {
					h.File("labels", c.Labels)
				}
			}),
			Run:     func(ctx context.Context, _ *Record, _ bool) error { return run.Ingest(ctx) },
			Outputs: out(func(h *Fingerprint) { h.File("index", realIdx); h.File("meta", metaFile) })},
		{Stage: GAN,
			Inputs: fp(func(h *Fingerprint) {
				h.Add("options", c.Options[GAN])
				h.File("index", realIdx)
				h.File("meta", metaFile)
			}),
			Run:     func(ctx context.Context, _ *Record, restart bool) error { return run.TrainGAN(ctx, restart) },
			Outputs: out(func(h *Fingerprint) { h.Glob("gan", ganSummaries) })},
		{Stage: Synth,
			Inputs: fp(func(h *Fingerprint) {
				h.Add("options", c.Options[Synth])
				h.Add("classes", ganClasses())
				h.Glob("gan", ganSummaries)
				h.File("index", realIdx)
			}),
			Run:     func(ctx context.Context, _ *Record, _ bool) error { return run.Synth(ctx, ganClasses()) },
			Outputs: out(func(h *Fingerprint) { h.File("candidates", ws.CandidatesIndexPath()) })},
		{Stage: Classifier,
			Inputs: fp(func(h *Fingerprint) {
				h.Add("options", c.Options[Classifier])
				h.File("index", realIdx)
				h.File("meta", metaFile)
				switch c.ClassifierSynthetic {
				case "approved":
					h.File("synthetic", ws.ApprovedIndexPath())
				case "candidates":
					h.File("synthetic", ws.CandidatesIndexPath())
				}
			}),
			Run:     func(ctx context.Context, _ *Record, restart bool) error { return run.TrainClassifier(ctx, restart) },
			Outputs: out(func(h *Fingerprint) { h.File("model", classifierModel) })},
		{Stage: Privacy,
			Inputs: fp(func(h *Fingerprint) {
				h.Add("options", c.Options[Privacy])
				if c.PrivacyPolicy != "" {
					h.File("policy", c.PrivacyPolicy)
				}
				h.File("candidates", ws.CandidatesIndexPath())
				h.File("index", realIdx)
				h.Glob("gan", ganSummaries)
				if c.PrivacyClassifier {
					h.File("classifier", classifierModel)
				}
			}),
			Run: func(ctx context.Context, _ *Record, _ bool) error { return run.Privacy(ctx) },
			Outputs: out(func(h *Fingerprint) {
				h.File("summary", ws.PrivacySummaryPath())
				h.File("approved", ws.ApprovedIndexPath())
			})},
		{Stage: Evaluate,
			Inputs: fp(func(h *Fingerprint) {
				h.Add("options", c.Options[Evaluate])
				h.File("index", realIdx)
				h.File("meta", metaFile)
				if c.EvaluateCandidates {
					h.File("synthetic", ws.CandidatesIndexPath())
				} else {
					h.File("synthetic", ws.ApprovedIndexPath())
				}
				if c.EvaluateTestWorkspace != "" {
					h.File("test", filepath.Join(c.EvaluateTestWorkspace, "real", "index.csv"))
				}
			}),
			Run:     func(ctx context.Context, _ *Record, _ bool) error { return run.Evaluate(ctx) },
			Outputs: out(func(h *Fingerprint) { h.File("report", filepath.Join(ws.EvalDir(), evaluate.EvalReportJSON)) })},
		{Stage: Bundle,
			Inputs: fp(func(h *Fingerprint) {
				h.Add("options", c.Options[Bundle])
				h.Add("signer", c.SignerHint)
				h.File("approved", ws.ApprovedIndexPath())
				h.File("privacy", ws.PrivacySummaryPath())
				h.Glob("gan", ganSummaries)
				h.File("meta", metaFile)
			}),
			Run:     c.bundle,
			Outputs: out(func(h *Fingerprint) { h.File("tagmanifest", tagManifest) })},
		{Stage: Publish,
			Inputs: fp(func(h *Fingerprint) {
				h.Add("options", c.Options[Publish])
				h.File("tagmanifest", tagManifest)
			}),
			Run: c.publish,
			Outputs: func(rec *Record) (string, error) {
				h := &Fingerprint{}
				h.Add("location", rec.Facts["location"])
				return h.Sum()
			}},
		{Stage: Verify, Always: true,
			Inputs: fp(func(h *Fingerprint) {
				h.Add("location", st.Location(c.Name, c.Version))
				h.Add("key", c.PublicKey)
				h.File("tagmanifest", tagManifest)
			}),
			Run: func(ctx context.Context, _ *Record, _ bool) error {
				return run.Verify(ctx, st.Location(c.Name, c.Version))
			},
			Outputs: func(*Record) (string, error) { return "verified", nil }},
	}
}

// ErrBundleFolder is returned when the bundle folder exists and this run did not make it.
var ErrBundleFolder = errors.New("bundle folder exists and was not made by this run")

// bundle builds the bundle into BundleOut; a bundle this run made earlier from other inputs is
// replaced, any other folder there is left alone.
func (c *Config) bundle(ctx context.Context, rec *Record, _ bool) error {
	out := c.BundleOut
	own := c.Workspace.Path("run", "bundle") // run's own folder of bundles
	if _, err := os.Stat(out); err == nil {
		if rec.Facts["bundle"] != out && !strings.HasPrefix(filepath.Clean(out), filepath.Clean(own)+string(filepath.Separator)) {
			return fmt.Errorf("%w: %s", ErrBundleFolder, out)
		}
		if err := os.RemoveAll(out); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	if err := c.work.Bundle(ctx, out); err != nil {
		return err
	}
	rec.Facts = map[string]string{"bundle": out}
	return nil
}

// publish publishes the bundle and records where; presigned download links go to
// WORKSPACE/run/links/NAME-VERSION.tsv (0600: they are bearer links).
func (c *Config) publish(ctx context.Context, rec *Record, _ bool) error {
	res, err := c.work.Publish(ctx, c.BundleOut)
	if err != nil {
		return err
	}
	rec.Facts = map[string]string{"location": res.Location}
	if len(res.Links) > 0 {
		p := c.Workspace.Path("run", "links", res.Name+"-"+res.Version+".tsv")
		if err := writeLinks(p, res.Links); err != nil {
			return err
		}
		rec.Facts["links"], rec.Facts["links_expire"] = p, res.Links[0].Expires.Format(time.RFC3339)
	}
	return nil
}

func writeLinks(path string, links []publish.Link) error {
	var b strings.Builder
	b.WriteString("file\turl\texpires\n")
	for _, l := range links {
		fmt.Fprintf(&b, "%s\t%s\t%s\n", l.File, l.URL, l.Expires.Format(time.RFC3339))
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return fsutil.WriteFile(path, []byte(b.String()), 0o600)
}
