package privacy

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/raysynth/raysynth/internal/contract"
)

// TestSummaryMatchesContract keeps privacy/summary.json ([Summary]) readable as manifest,
// verify and audit read it: the verdict, failed checks, policy, every check's numbers and the
// counts survive the round trip.
func TestSummaryMatchesContract(t *testing.T) {
	s := Summary{Passed: false, FailedChecks: []string{"share_nearer_train/effusion"}, Policy: DefaultPolicy(),
		Checks: []Check{
			{Name: "memorized_images", Class: "all", Value: 0, Threshold: 0, Rule: "<=", Bound: 0, Passed: true, N: 300},
			{Name: "share_nearer_train", Class: "effusion", Value: 0.63, Threshold: 0.52, Rule: "<=", Bound: 0.59, Passed: false, N: 100, Note: "bootstrap"},
		},
		Counts: Counts{Candidates: 300, Approved: 0, Removed: 3}}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var c contract.PrivacySummary
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	if c.Passed == nil || *c.Passed != s.Passed || !slices.Equal(c.FailedChecks, s.FailedChecks) || len(c.Policy) == 0 {
		t.Fatalf("verdict read as passed=%v failed=%v policy=%d bytes", c.Passed, c.FailedChecks, len(c.Policy))
	}
	if c.Counts == nil || c.Counts.Candidates != 300 || c.Counts.Approved != 0 || c.Counts.Removed != 3 {
		t.Errorf("counts read as %+v", c.Counts)
	}
	if len(c.Checks) != len(s.Checks) {
		t.Fatalf("%d checks read, want %d", len(c.Checks), len(s.Checks))
	}
	for i, want := range s.Checks {
		got := c.Checks[i]
		if got.Name != want.Name || got.Class != want.Class || got.Passed != want.Passed || got.Note != want.Note ||
			got.Value == nil || *got.Value != want.Value || got.Threshold == nil || *got.Threshold != want.Threshold ||
			got.Bound == nil || *got.Bound != want.Bound {
			t.Errorf("check %d read as %+v, want %+v", i, got, want)
		}
	}
}
