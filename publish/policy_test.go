package publish

import (
	"strings"
	"testing"
)

func TestParsePolicy(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		bad      string
	}{
		{name: "yaml", in: "allowed_key_hints: [abc]\nrequire_privacy_passed: true\nrequired_checks:\n  - name: memorization\n    max_threshold: 0.1\nrequired_rai_fields: [\"rai:dataCollection\"]\nmax_epsilon: 8\n"},
		{name: "json", in: `{"allow_overrides": false, "required_checks": [{"name": "nn_distance", "min_threshold": 0.2}]}`},
		{name: "typo", in: "allow_override: true\n", bad: "allow_override"},
		{name: "empty", in: "  \n", bad: "empty"},
		{name: "no check name", in: "required_checks: [{max_threshold: 1}]", bad: "no name"},
		{name: "bad epsilon", in: "max_epsilon: -1", bad: "max_epsilon"},
		{name: "nan", in: "required_checks: [{name: x, max_threshold: .nan}]", bad: "finite"},
		{name: "two docs", in: "allow_overrides: true\n---\nallow_overrides: false\n", bad: "more than one"},
		{name: "wrong type", in: "required_checks: yes", bad: "line 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePolicy([]byte(tc.in))
			if tc.bad != "" {
				if err == nil || !strings.Contains(err.Error(), tc.bad) {
					t.Fatalf("want error containing %q, got %v (%+v)", tc.bad, err, p)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
		})
	}
	p, err := ParsePolicy([]byte("required_checks:\n  - name: memorization\n    max_threshold: 0.1\nmax_epsilon: 8\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.RequiredChecks) != 1 || *p.RequiredChecks[0].MaxThreshold != 0.1 || *p.MaxEpsilon != 8 || !p.requirePassed() || p.AllowOverrides {
		t.Fatalf("parsed %+v", p)
	}
}

func FuzzParsePolicy(f *testing.F) {
	f.Add([]byte("required_checks:\n  - name: m\n    max_threshold: 0.1\n"))
	f.Add([]byte(`{"allowed_key_hints":["x"],"max_epsilon":3}`))
	f.Add([]byte("a: [\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePolicy(data)
		if err != nil {
			return
		}
		for _, c := range p.RequiredChecks {
			if strings.TrimSpace(c.Name) == "" {
				t.Fatal("accepted a check without a name")
			}
		}
		if p.MaxEpsilon != nil && !(*p.MaxEpsilon > 0) {
			t.Fatal("accepted a non-positive max_epsilon")
		}
	})
}
