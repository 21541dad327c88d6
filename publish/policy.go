package publish

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Policy is what an auditor requires of every release. It is read from YAML or JSON
// ([ParsePolicy]); a missing field keeps its default (shown in brackets).
type Policy struct {
	// AllowedKeyHints lists the hints (base64 sha256 of the PKIX DER key, as in the Sigstore
	// bundles) of the keys allowed to sign releases. [empty: any key given with --key]
	AllowedKeyHints []string `yaml:"allowed_key_hints" json:"allowed_key_hints"`
	// RequirePrivacyPassed requires the privacy gate to have passed. [true]
	RequirePrivacyPassed *bool `yaml:"require_privacy_passed" json:"require_privacy_passed"`
	// AllowOverrides allows releases whose privacy gate was overridden. [false]
	AllowOverrides bool `yaml:"allow_overrides" json:"allow_overrides"`
	// RequiredChecks lists privacy checks that must be in the report, pass, and have been run
	// with a threshold at least as strict as given.
	RequiredChecks []RequiredCheck `yaml:"required_checks" json:"required_checks"`
	// RequiredRAIFields lists Croissant fields (e.g. rai:dataCollection) that must be present
	// and non-empty in croissant.json.
	RequiredRAIFields []string `yaml:"required_rai_fields" json:"required_rai_fields"`
	// RequireDP requires differentially private training. [false]
	RequireDP bool `yaml:"require_dp" json:"require_dp"`
	// MaxEpsilon, when set, requires DP training with ε at most this.
	MaxEpsilon *float64 `yaml:"max_epsilon" json:"max_epsilon"`
	// RequireLatest requires every release name to have a LATEST pointer. [false]
	RequireLatest bool `yaml:"require_latest" json:"require_latest"`
}

// RequiredCheck is one privacy check a policy requires.
type RequiredCheck struct {
	Name  string `yaml:"name" json:"name"`
	Class string `yaml:"class" json:"class"` // "" = the overall check
	// MaxThreshold / MinThreshold bound the threshold the check was run with (which bound is
	// "stricter" depends on the check).
	MaxThreshold *float64 `yaml:"max_threshold" json:"max_threshold"`
	MinThreshold *float64 `yaml:"min_threshold" json:"min_threshold"`
}

// DefaultPolicy is the policy used without --policy: the gate passed, no overrides.
func DefaultPolicy() Policy { return Policy{} }

func (p Policy) requirePassed() bool { return p.RequirePrivacyPassed == nil || *p.RequirePrivacyPassed }

const maxPolicySize = 1 << 20

// ParsePolicy reads a policy from YAML or JSON. Unknown fields are errors, so a misspelt
// requirement is never silently ignored.
func ParsePolicy(data []byte) (Policy, error) {
	var p Policy
	if len(data) > maxPolicySize {
		return p, fmt.Errorf("policy is larger than %d bytes", maxPolicySize)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return p, errors.New("policy is empty")
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil && !errors.Is(err, io.EOF) {
		return Policy{}, errors.New(yamlMessage(err))
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return Policy{}, errors.New("policy: more than one YAML document")
	}
	for i, c := range p.RequiredChecks {
		if strings.TrimSpace(c.Name) == "" {
			return Policy{}, fmt.Errorf("policy: required_checks[%d] has no name", i)
		}
		for _, v := range []*float64{c.MaxThreshold, c.MinThreshold} {
			if v != nil && (math.IsNaN(*v) || math.IsInf(*v, 0)) {
				return Policy{}, fmt.Errorf("policy: required_checks[%d] (%s): threshold bound must be a finite number", i, c.Name)
			}
		}
	}
	for i, f := range p.RequiredRAIFields {
		if strings.TrimSpace(f) == "" {
			return Policy{}, fmt.Errorf("policy: required_rai_fields[%d] is empty", i)
		}
	}
	if p.MaxEpsilon != nil && (math.IsNaN(*p.MaxEpsilon) || *p.MaxEpsilon <= 0) {
		return Policy{}, errors.New("policy: max_epsilon must be a positive number")
	}
	return p, nil
}

// yamlMessage turns a YAML decoding error into one line: "line 3: unknown field allow_override".
func yamlMessage(err error) string {
	m := strings.TrimPrefix(err.Error(), "yaml: ")
	m = strings.TrimPrefix(m, "unmarshal errors:\n")
	var lines []string
	for _, l := range strings.Split(m, "\n") {
		l = strings.TrimSpace(l)
		if i := strings.Index(l, " not found in type "); i > 0 && strings.Contains(l, "field ") {
			j := strings.Index(l, "field ")
			l = l[:j] + "unknown field " + l[j+len("field "):i]
		}
		if l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "; ")
}
