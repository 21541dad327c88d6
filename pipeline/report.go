package pipeline

import (
	"path/filepath"

	"github.com/raysynth/raysynth/evaluate"
	"github.com/raysynth/raysynth/train"
)

// Report is a run's result as `raysynth run --json` prints it: what happened and where to look.
// [NewReport] fills it from the run's [Config] and [Summary]; cmd adds what only it knows (how
// long the whole command took, --until as typed, the verify command line to print).
type Report struct {
	OK            bool                        `json:"ok"`
	Name          string                      `json:"name"`
	Version       string                      `json:"version"`
	Workspace     string                      `json:"workspace"`
	Stages        []StageResult               `json:"stages"`
	Privacy       *PrivacyReport              `json:"privacy,omitempty"`
	DP            map[string]*train.DPSummary `json:"dp,omitempty"` // per class, when the GANs were trained with DP
	EvalReport    string                      `json:"evaluation_report,omitempty"`
	EvalTable     string                      `json:"evaluation_table,omitempty"`
	Bundle        string                      `json:"bundle,omitempty"`
	Location      string                      `json:"location,omitempty"`
	PublicKey     string                      `json:"public_key,omitempty"`
	KeyHint       string                      `json:"key_hint,omitempty"`
	VerifyCommand string                      `json:"verify_command,omitempty"`
	LinksFile     string                      `json:"links_file,omitempty"` // --publish-presign: file, url, expires per line
	LinksExpire   string                      `json:"links_expire,omitempty"`
	Error         string                      `json:"error,omitempty"`
	Until         string                      `json:"until,omitempty"` // stopped after this stage as asked
	Seconds       float64                     `json:"seconds"`
}

// PrivacyReport is the privacy gate's public verdict in a [Report], and where its reports are.
type PrivacyReport struct {
	Passed        bool           `json:"passed"`
	FailedChecks  []string       `json:"failed_checks"`
	Candidates    int            `json:"candidates"`
	Approved      int            `json:"approved"`
	Removed       int            `json:"removed"`
	PerClass      map[string]int `json:"approved_per_class"`
	PublicSummary string         `json:"public_summary"`
	PrivateReport string         `json:"private_report"`
}

// NewReport is the report of a run of cfg that ended with sum and err (nil when it finished).
func NewReport(cfg *Config, sum *Summary, err error) *Report {
	ws := cfg.Workspace
	r := &Report{OK: err == nil, Name: cfg.Name, Version: cfg.Version, Workspace: ws.Dir, Stages: sum.Stages,
		DP: sum.DP, Bundle: sum.Bundle, Location: sum.Location, PublicKey: cfg.PublicKey, KeyHint: cfg.SignerHint,
		LinksFile: sum.LinksFile, LinksExpire: sum.LinksExpire, Until: string(cfg.Until), Seconds: sum.Seconds}
	if err != nil {
		r.Error = err.Error()
	}
	if s := sum.Privacy; s != nil {
		p := &PrivacyReport{Passed: s.Passed, FailedChecks: s.FailedChecks, Candidates: s.Counts.Candidates,
			Approved: s.Counts.Approved, Removed: s.Counts.Removed, PerClass: map[string]int{},
			PublicSummary: ws.PrivacySummaryPath(), PrivateReport: ws.PrivacyHTMLPath()}
		if p.FailedChecks == nil {
			p.FailedChecks = []string{}
		}
		for c, n := range s.Counts.PerClass {
			p.PerClass[c] = n.Approved
		}
		r.Privacy = p
	}
	if sum.Evaluation != nil {
		r.EvalTable = sum.Evaluation.Table()
		r.EvalReport = filepath.Join(ws.EvalDir(), evaluate.EvalReportMD)
	}
	return r
}
