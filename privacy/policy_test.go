package privacy

import (
	"errors"
	"strings"
	"testing"
)

func TestParsePolicy(t *testing.T) {
	def := DefaultPolicy()
	for _, tc := range []struct {
		name    string
		in      string
		check   func(Policy) bool
		wantErr string
	}{
		{"empty is default", "", func(p Policy) bool { return p == def }, ""},
		{"yaml override", "version: 1\ndcr:\n  max_share_nearer_train: 0.51\n", func(p Policy) bool {
			return p.DCR.MaxShareNearerTrain == 0.51 && p.Membership.MaxAUC == def.Membership.MaxAUC
		}, ""},
		{"json override", `{"version":1,"membership":{"max_auc":0.53,"k":3}}`, func(p Policy) bool {
			return p.Membership.MaxAUC == 0.53 && p.Membership.K == 3 && p.Membership.MaxTPRAt1PctFPR == 0.02
		}, ""},
		{"stricter memorization", "memorization:\n  max_calibrated_ratio: 1.2\n  shift_pixels: 3\n", func(p Policy) bool {
			return p.Memorization.MaxCalibratedRatio == 1.2 && p.Memorization.ShiftPixels == 3
		}, ""},
		{"point estimates", "statistics:\n  confidence: 0\n", func(p Policy) bool { return p.Statistics.Confidence == 0 }, ""},
		{"unknown key yaml", "dcr:\n  max_share: 0.6\n", nil, "max_share"},
		{"unknown key json", `{"membership":{"auc":0.9}}`, nil, "auc"},
		{"wrong version", "version: 2\n", nil, "version is 2"},
		{"out of range", "membership:\n  max_auc: 1.5\n", nil, "membership.max_auc"},
		{"negative", "memorization:\n  max_flagged: -1\n", nil, "max_flagged"},
		{"bad confidence", "statistics:\n  confidence: 0.2\n", nil, "statistics.confidence"},
		{"not yaml", "{{{", nil, "invalid privacy policy"},
		{"trailing json", `{"version":1} {}`, nil, "after the JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePolicy([]byte(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, ErrPolicy) {
					t.Fatalf("err = %v, want one containing %q wrapping ErrPolicy", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(p) {
				t.Errorf("parsed %+v", p)
			}
		})
	}
}

func TestPolicyYAMLRoundTrip(t *testing.T) {
	p := DefaultPolicy()
	p.DCR.MaxShareNearerTrain = 0.5
	got, err := ParsePolicy(p.YAML())
	if err != nil {
		t.Fatal(err)
	}
	if got != p {
		t.Errorf("round trip: got %+v, want %+v", got, p)
	}
}

// FuzzParsePolicy: any input either parses into a valid policy or returns ErrPolicy; never a
// panic, never a policy that fails validation.
func FuzzParsePolicy(f *testing.F) {
	f.Add([]byte(""))
	f.Add(DefaultPolicy().YAML())
	f.Add([]byte(`{"version":1,"dcr":{"max_share_nearer_train":0.5}}`))
	f.Add([]byte("memorization:\n  alpha: 0.5\n  neighbours: 50\n"))
	f.Add([]byte("version: [1]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePolicy(data)
		if err != nil {
			if !errors.Is(err, ErrPolicy) {
				t.Fatalf("error %v does not wrap ErrPolicy", err)
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("parsed policy fails validation: %v", err)
		}
	})
}
