package privacy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"go.yaml.in/yaml/v3"
)

// PolicyVersion is the policy file format this package reads.
const PolicyVersion = 1

// Policy holds every threshold the gate applies. [DefaultPolicy] gives the values from the
// literature (see the README's "Privacy checks" section); a policy file may change any of them.
// The code never loosens a threshold: what the policy says is what the gate applies.
type Policy struct {
	Version      int                `json:"version" yaml:"version"`
	Memorization MemorizationPolicy `json:"memorization" yaml:"memorization"`
	DCR          DCRPolicy          `json:"dcr" yaml:"dcr"`
	Membership   MembershipPolicy   `json:"membership" yaml:"membership"`
	Adversarial  AdversarialPolicy  `json:"adversarial" yaml:"adversarial"`
	Statistics   StatisticsPolicy   `json:"statistics" yaml:"statistics"`
	// Rerank is how many nearest candidates per query are re-scored exactly in float64 (and, in
	// pixel space, with the shift-tolerant distance) before any threshold decides.
	Rerank int `json:"rerank" yaml:"rerank"`
}

// MemorizationPolicy flags a synthetic image as a copy of a training image.
type MemorizationPolicy struct {
	// Alpha and Neighbours define Carlini et al.'s calibrated ratio ℓ = d1 / (Alpha · mean
	// distance to the Neighbours nearest training images); an image with ℓ ≤ MaxCalibratedRatio
	// is flagged.
	Alpha              float64 `json:"alpha" yaml:"alpha"`
	Neighbours         int     `json:"neighbours" yaml:"neighbours"`
	MaxCalibratedRatio float64 `json:"max_calibrated_ratio" yaml:"max_calibrated_ratio"`
	// An image with d1/d2 < NNDRBelow is flagged.
	NNDRBelow float64 `json:"nndr_below" yaml:"nndr_below"`
	// An image with d1 ≤ NearExactDistance (shift-tolerant pixel distance; 0 = identical up to
	// contrast and a shift of ShiftPixels) is an exact or near-exact copy.
	NearExactDistance float64 `json:"near_exact_distance" yaml:"near_exact_distance"`
	// ShiftPixels is the largest shift, in pixels along x and y, that the pixel distance forgives.
	ShiftPixels int `json:"shift_pixels" yaml:"shift_pixels"`
	// MaxFlagged is how many flagged images the gate tolerates in a class (and overall).
	MaxFlagged int `json:"max_flagged" yaml:"max_flagged"`
}

// DCRPolicy compares distances to the closest record of synthetic and of holdout images.
type DCRPolicy struct {
	// MaxShareNearerTrain: share of S whose nearest real image (equal-size T and H subsets) is in T.
	MaxShareNearerTrain float64 `json:"max_share_nearer_train" yaml:"max_share_nearer_train"`
	// The 5th-percentile d1 and 10th-percentile NNDR of S→T must be at least these factors times
	// those of H→T (1 = "S's no smaller than H's").
	MinP5D1Factor    float64 `json:"min_p5_d1_factor" yaml:"min_p5_d1_factor"`
	MinP10NNDRFactor float64 `json:"min_p10_nndr_factor" yaml:"min_p10_nndr_factor"`
}

// MembershipPolicy bounds the black-box membership inference attack (GAN-Leaks, per patient).
type MembershipPolicy struct {
	K               int     `json:"k" yaml:"k"` // nearest synthetic images averaged into a real image's score
	MaxAUC          float64 `json:"max_auc" yaml:"max_auc"`
	MaxTPRAt1PctFPR float64 `json:"max_tpr_at_1pct_fpr" yaml:"max_tpr_at_1pct_fpr"`
}

// AdversarialPolicy bounds nearest-neighbour adversarial accuracy (Yale et al.) and
// identifiability (Yoon et al.).
type AdversarialPolicy struct {
	MaxPrivacyLoss float64 `json:"max_privacy_loss" yaml:"max_privacy_loss"`
	// MaxIdentifiabilityExcess bounds identifiability(T) − identifiability(H).
	MaxIdentifiabilityExcess float64 `json:"max_identifiability_excess" yaml:"max_identifiability_excess"`
}

// StatisticsPolicy says how statistical checks (all but memorization) decide despite sampling
// noise: a check fails when its value is beyond the threshold with this one-sided confidence,
// from a seeded bootstrap of Bootstrap resamples. Confidence 0 compares point estimates, which
// on finite samples fails about half of all honest runs of the percentile checks.
type StatisticsPolicy struct {
	Confidence float64 `json:"confidence" yaml:"confidence"`
	Bootstrap  int     `json:"bootstrap" yaml:"bootstrap"`
}

// DefaultPolicy returns the default thresholds (see the README).
func DefaultPolicy() Policy {
	return Policy{
		Version: PolicyVersion,
		Memorization: MemorizationPolicy{
			Alpha: 0.5, Neighbours: 50, MaxCalibratedRatio: 1, NNDRBelow: 1.0 / 3,
			NearExactDistance: 0.05, ShiftPixels: 2, MaxFlagged: 0,
		},
		DCR:         DCRPolicy{MaxShareNearerTrain: 0.52, MinP5D1Factor: 1, MinP10NNDRFactor: 1},
		Membership:  MembershipPolicy{K: 5, MaxAUC: 0.55, MaxTPRAt1PctFPR: 0.02},
		Adversarial: AdversarialPolicy{MaxPrivacyLoss: 0.02, MaxIdentifiabilityExcess: 0.02},
		Statistics:  StatisticsPolicy{Confidence: 0.95, Bootstrap: 1000},
		Rerank:      16,
	}
}

// ErrPolicy is wrapped by every policy parsing and validation error.
var ErrPolicy = errors.New("invalid privacy policy")

// ParsePolicy reads a policy file's content, JSON or YAML (JSON is YAML). Keys left out keep their
// default value; unknown keys are an error, so a misspelt threshold is never silently ignored.
func ParsePolicy(data []byte) (Policy, error) {
	p := DefaultPolicy()
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			return Policy{}, fmt.Errorf("%w: %v", ErrPolicy, err)
		}
		if dec.More() {
			return Policy{}, fmt.Errorf("%w: data after the JSON object", ErrPolicy)
		}
	} else {
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&p); err != nil && !errors.Is(err, io.EOF) {
			msg := strings.TrimPrefix(err.Error(), "yaml: ")
			msg = strings.Join(strings.Fields(strings.ReplaceAll(msg, "\n", "; ")), " ")
			msg = strings.ReplaceAll(msg, "errors:;", "errors:")
			return Policy{}, fmt.Errorf("%w: %s", ErrPolicy, msg)
		}
	}
	if err := p.Validate(); err != nil {
		return Policy{}, err
	}
	return p, nil
}

// Validate checks that every threshold is in its meaningful range.
func (p Policy) Validate() error {
	var errs []string
	bad := func(cond bool, format string, a ...any) {
		if cond {
			errs = append(errs, fmt.Sprintf(format, a...))
		}
	}
	fin := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	m := p.Memorization
	bad(p.Version != PolicyVersion, "version is %d, this raysynth reads %d", p.Version, PolicyVersion)
	bad(!fin(m.Alpha) || m.Alpha <= 0 || m.Alpha > 1, "memorization.alpha must be in (0, 1], not %v", m.Alpha)
	bad(m.Neighbours < 2 || m.Neighbours > 1000, "memorization.neighbours must be 2…1000, not %d", m.Neighbours)
	bad(!fin(m.MaxCalibratedRatio) || m.MaxCalibratedRatio < 0, "memorization.max_calibrated_ratio must be ≥ 0, not %v", m.MaxCalibratedRatio)
	bad(!fin(m.NNDRBelow) || m.NNDRBelow < 0 || m.NNDRBelow > 1, "memorization.nndr_below must be in [0, 1], not %v", m.NNDRBelow)
	bad(!fin(m.NearExactDistance) || m.NearExactDistance < 0 || m.NearExactDistance > 2, "memorization.near_exact_distance must be in [0, 2], not %v", m.NearExactDistance)
	bad(m.ShiftPixels < 0 || m.ShiftPixels > 8, "memorization.shift_pixels must be 0…8, not %d", m.ShiftPixels)
	bad(m.MaxFlagged < 0, "memorization.max_flagged must be ≥ 0, not %d", m.MaxFlagged)
	d := p.DCR
	bad(!fin(d.MaxShareNearerTrain) || d.MaxShareNearerTrain < 0 || d.MaxShareNearerTrain > 1, "dcr.max_share_nearer_train must be in [0, 1], not %v", d.MaxShareNearerTrain)
	bad(!fin(d.MinP5D1Factor) || d.MinP5D1Factor < 0, "dcr.min_p5_d1_factor must be ≥ 0, not %v", d.MinP5D1Factor)
	bad(!fin(d.MinP10NNDRFactor) || d.MinP10NNDRFactor < 0, "dcr.min_p10_nndr_factor must be ≥ 0, not %v", d.MinP10NNDRFactor)
	mi := p.Membership
	bad(mi.K < 1 || mi.K > 100, "membership.k must be 1…100, not %d", mi.K)
	bad(!fin(mi.MaxAUC) || mi.MaxAUC < 0 || mi.MaxAUC > 1, "membership.max_auc must be in [0, 1], not %v", mi.MaxAUC)
	bad(!fin(mi.MaxTPRAt1PctFPR) || mi.MaxTPRAt1PctFPR < 0 || mi.MaxTPRAt1PctFPR > 1, "membership.max_tpr_at_1pct_fpr must be in [0, 1], not %v", mi.MaxTPRAt1PctFPR)
	a := p.Adversarial
	bad(!fin(a.MaxPrivacyLoss) || a.MaxPrivacyLoss < 0 || a.MaxPrivacyLoss > 1, "adversarial.max_privacy_loss must be in [0, 1], not %v", a.MaxPrivacyLoss)
	bad(!fin(a.MaxIdentifiabilityExcess) || a.MaxIdentifiabilityExcess < 0 || a.MaxIdentifiabilityExcess > 1, "adversarial.max_identifiability_excess must be in [0, 1], not %v", a.MaxIdentifiabilityExcess)
	st := p.Statistics
	bad(!fin(st.Confidence) || (st.Confidence != 0 && (st.Confidence < 0.5 || st.Confidence > 0.999)), "statistics.confidence must be 0 or in [0.5, 0.999], not %v", st.Confidence)
	bad(st.Bootstrap < 100 || st.Bootstrap > 100000, "statistics.bootstrap must be 100…100000, not %d", st.Bootstrap)
	bad(p.Rerank < 2 || p.Rerank > 1000, "rerank must be 2…1000, not %d", p.Rerank)
	if len(errs) > 0 {
		return fmt.Errorf("%w: %s", ErrPolicy, strings.Join(errs, "; "))
	}
	return nil
}

// YAML returns the policy as a YAML document (the format `raysynth privacy --help` shows).
func (p Policy) YAML() []byte {
	b, _ := yaml.Marshal(p)
	return b
}
