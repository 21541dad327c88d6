package pipeline

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/raysynth/raysynth/internal/workspace"
	"github.com/raysynth/raysynth/privacy"
)

// TestNewReport checks the report run prints: the gate's verdict and where its reports are, the
// release facts, and that a run stopped by an error says so (with no failed_checks as null).
func TestNewReport(t *testing.T) {
	ws := &workspace.Workspace{Dir: t.TempDir()}
	cfg := &Config{Workspace: ws, Name: "chest", Version: "1.0.0", PublicKey: "hospital.pub", SignerHint: "abcd", Until: Privacy}
	sum := &Summary{Stages: []StageResult{{Stage: "privacy", Status: "done"}}, Bundle: "b", Location: "s3://r/chest/1.0.0",
		Privacy: &privacy.Summary{Passed: true, Counts: privacy.Counts{Candidates: 10, Approved: 8, Removed: 2,
			PerClass: map[string]privacy.ClassCounts{"normal": {Candidates: 5, Approved: 4}, "effusion": {Candidates: 5, Approved: 4}}}}}
	r := NewReport(cfg, sum, nil)
	if !r.OK || r.Error != "" || r.Name != "chest" || r.Version != "1.0.0" || r.Workspace != ws.Dir || r.PublicKey != "hospital.pub" ||
		r.KeyHint != "abcd" || r.Bundle != "b" || r.Location != "s3://r/chest/1.0.0" || r.Until != "privacy" || len(r.Stages) != 1 {
		t.Errorf("report: %+v", r)
	}
	p := r.Privacy
	if p == nil || !p.Passed || p.Candidates != 10 || p.Approved != 8 || p.Removed != 2 || p.PerClass["normal"] != 4 ||
		p.PublicSummary != ws.PrivacySummaryPath() || p.PrivateReport != ws.PrivacyHTMLPath() {
		t.Fatalf("privacy: %+v", p)
	}
	b, err := json.Marshal(r)
	if err != nil || !strings.Contains(string(b), `"failed_checks":[]`) {
		t.Errorf("failed_checks must be a list, not null: %s %v", b, err)
	}
	if r := NewReport(cfg, &Summary{}, errors.New("stage failed")); r.OK || r.Error != "stage failed" || r.Privacy != nil || r.EvalReport != "" {
		t.Errorf("a stopped run: %+v", r)
	}
}
