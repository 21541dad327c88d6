package metrics

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// ClassMetric names a per-class metric that [PairedBootstrap] can compare.
type ClassMetric string

// The per-class metrics computed from hard predictions.
const (
	Sensitivity ClassMetric = "sensitivity"
	Specificity ClassMetric = "specificity"
	Precision   ClassMetric = "precision"
	F1          ClassMetric = "f1"
)

func (m ClassMetric) of(cr ClassResult) Metric {
	switch m {
	case Specificity:
		return cr.Specificity
	case Precision:
		return cr.Precision
	case F1:
		return cr.F1
	}
	return cr.Sensitivity
}

// BootstrapConfig configures [PairedBootstrap].
type BootstrapConfig struct {
	Classes      []string
	MinSupport   int         // as in Config; 0 means DefaultMinSupport
	Metric       ClassMetric // default Sensitivity
	Resamples    int         // default 2000
	Level        float64     // confidence level of the interval, default 0.95
	Seed         uint64      // record it with the result
	NameA, NameB string      // regimes' names for the statements; default "A" and "B"
}

// Validate reports an unknown metric or a setting out of range.
func (c BootstrapConfig) Validate() error {
	if err := (Config{Classes: c.Classes, MinSupport: c.MinSupport}).Validate(); err != nil {
		return err
	}
	switch c.Metric {
	case "", Sensitivity, Specificity, Precision, F1:
	default:
		return fmt.Errorf("unknown metric %q (want sensitivity, specificity, precision or f1)", c.Metric)
	}
	if c.Resamples < 0 || (c.Resamples > 0 && c.Resamples < 100) {
		return fmt.Errorf("%d resamples; use at least 100", c.Resamples)
	}
	if c.Level != 0 && !(c.Level > 0.5 && c.Level < 1) {
		return fmt.Errorf("confidence level %g outside (0.5, 1)", c.Level)
	}
	return nil
}

func (c BootstrapConfig) withDefaults() BootstrapConfig {
	if c.Metric == "" {
		c.Metric = Sensitivity
	}
	if c.Resamples == 0 {
		c.Resamples = 2000
	}
	if c.Level == 0 {
		c.Level = 0.95
	}
	if c.NameA == "" {
		c.NameA = "A"
	}
	if c.NameB == "" {
		c.NameB = "B"
	}
	if c.MinSupport == 0 {
		c.MinSupport = DefaultMinSupport
	}
	return c
}

// Difference is the bootstrap comparison of one class's metric between regimes A and B.
type Difference struct {
	Class  string      `json:"class"`
	Metric ClassMetric `json:"metric"`
	A      Metric      `json:"a"`    // A's metric on the test set, pooled over repeats
	B      Metric      `json:"b"`    // B's
	Diff   Metric      `json:"diff"` // B − A
	Lo     Metric      `json:"lo"`   // confidence interval of B − A
	Hi     Metric      `json:"hi"`
	Level  float64     `json:"level"`
	// PShare is twice the smaller share of resamples on either side of zero (capped at 1): a
	// p-value-like number, small when the difference rarely changes sign under resampling.
	PShare    Metric `json:"p_share"`
	Resamples int    `json:"resamples"` // resamples in which both metrics were defined
	Seed      uint64 `json:"seed"`
	Beyond    bool   `json:"beyond_noise"` // the interval excludes zero
	Statement string `json:"statement"`
}

// PairedBootstrap compares two regimes on the same test images, class by class. truth holds each
// test image's class; predA[r][i] and predB[r][i] are the predictions of regime A and B's r-th
// repeat for image i (each repeat is a model trained with another seed). Each resample draws test
// images with replacement, keeping all repeats' predictions of an image together, and computes
// the metric of B minus that of A on the pooled confusion matrices.
func PairedBootstrap(cfg BootstrapConfig, truth []int, predA, predB [][]int) ([]Difference, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	k, n := len(cfg.Classes), len(truth)
	if n == 0 {
		return nil, fmt.Errorf("no test images")
	}
	if len(predA) == 0 || len(predB) == 0 {
		return nil, fmt.Errorf("no repeats (%d of A, %d of B)", len(predA), len(predB))
	}
	votesA, err := votes(k, truth, predA)
	if err != nil {
		return nil, fmt.Errorf("regime %s: %w", cfg.NameA, err)
	}
	votesB, err := votes(k, truth, predB)
	if err != nil {
		return nil, fmt.Errorf("regime %s: %w", cfg.NameB, err)
	}
	all := make([]int, n)
	for i := range all {
		all[i] = 1
	}
	obsA := pooledMetrics(k, truth, votesA, all, cfg)
	obsB := pooledMetrics(k, truth, votesB, all, cfg)

	rng := rand.New(rand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15))
	diffs := make([][]float64, k)
	weights := make([]int, n)
	for range cfg.Resamples {
		clear(weights)
		for range n {
			weights[rng.IntN(n)]++
		}
		a := pooledMetrics(k, truth, votesA, weights, cfg)
		b := pooledMetrics(k, truth, votesB, weights, cfg)
		for c := 0; c < k; c++ {
			if a[c].Defined() && b[c].Defined() {
				diffs[c] = append(diffs[c], float64(b[c]-a[c]))
			}
		}
	}
	out := make([]Difference, k)
	for c := 0; c < k; c++ {
		d := Difference{Class: cfg.Classes[c], Metric: cfg.Metric, A: obsA[c], B: obsB[c], Diff: NaN,
			Lo: NaN, Hi: NaN, PShare: NaN, Level: cfg.Level, Resamples: len(diffs[c]), Seed: cfg.Seed}
		if obsA[c].Defined() && obsB[c].Defined() {
			d.Diff = obsB[c] - obsA[c]
		}
		// Too few resamples with a defined metric means the class is too small to compare.
		if d.Diff.Defined() && len(diffs[c]) >= cfg.Resamples/2 {
			s := diffs[c]
			slices.Sort(s)
			alpha := (1 - cfg.Level) / 2
			d.Lo, d.Hi = Metric(quantile(s, alpha)), Metric(quantile(s, 1-alpha))
			var le, ge int
			for _, v := range s {
				if v <= 0 {
					le++
				}
				if v >= 0 {
					ge++
				}
			}
			d.PShare = Metric(math.Min(1, 2*float64(min(le, ge))/float64(len(s))))
			d.Beyond = d.Lo > 0 || d.Hi < 0
		}
		d.Statement = statement(cfg, d)
		out[c] = d
	}
	return out, nil
}

// votes[i][p] counts the repeats that predicted class p for test image i.
func votes(k int, truth []int, preds [][]int) ([][]int, error) {
	v := make([][]int, len(truth))
	for i := range v {
		v[i] = make([]int, k)
	}
	for r, pred := range preds {
		if len(pred) != len(truth) {
			return nil, fmt.Errorf("repeat %d: %d predictions for %d test images", r, len(pred), len(truth))
		}
		for i, p := range pred {
			if p < 0 || p >= k {
				return nil, fmt.Errorf("repeat %d, test image %d: prediction %d outside [0, %d)", r, i, p, k)
			}
			if truth[i] < 0 || truth[i] >= k {
				return nil, fmt.Errorf("test image %d: label %d outside [0, %d)", i, truth[i], k)
			}
			v[i][p]++
		}
	}
	return v, nil
}

// pooledMetrics computes the configured metric per class on the confusion matrix pooled over
// repeats, each test image counted weights[i] times. Support thresholds count images, not
// image × repeat pairs.
func pooledMetrics(k int, truth []int, votes [][]int, weights []int, cfg BootstrapConfig) []Metric {
	conf := make([][]int, k)
	for t := range conf {
		conf[t] = make([]int, k)
	}
	support := make([]int, k)
	total := 0
	for i, w := range weights {
		if w == 0 {
			continue
		}
		t := truth[i]
		support[t] += w
		total += w
		for p, v := range votes[i] {
			conf[t][p] += w * v
		}
	}
	out := make([]Metric, k)
	for c := 0; c < k; c++ {
		cr := classMetrics(conf, c, 1)
		m := cfg.Metric.of(cr)
		switch cfg.Metric {
		case Specificity:
			if total-support[c] < cfg.MinSupport {
				m = NaN
			}
		default:
			if support[c] < cfg.MinSupport {
				m = NaN
			}
		}
		out[c] = m
	}
	return out
}

// quantile returns the q-quantile of sorted s by linear interpolation between order statistics.
func quantile(s []float64, q float64) float64 {
	pos := q * float64(len(s)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(s)-1)
	return s[lo] + (pos-float64(lo))*(s[hi]-s[lo])
}

func statement(cfg BootstrapConfig, d Difference) string {
	what := fmt.Sprintf("%s %s", d.Class, d.Metric)
	if !d.Diff.Defined() || !d.Lo.Defined() {
		return fmt.Sprintf("%s: too few test images to compare %s with %s", what, cfg.NameB, cfg.NameA)
	}
	ci := fmt.Sprintf("%.0f%% CI %+.3f to %+.3f", 100*d.Level, float64(d.Lo), float64(d.Hi))
	switch {
	case d.Lo > 0:
		return fmt.Sprintf("%s: %s higher than %s by %+.3f (%s), beyond noise", what, cfg.NameB, cfg.NameA, float64(d.Diff), ci)
	case d.Hi < 0:
		return fmt.Sprintf("%s: %s lower than %s by %.3f (%s), beyond noise", what, cfg.NameB, cfg.NameA, -float64(d.Diff), ci)
	}
	return fmt.Sprintf("%s: %s minus %s is %+.3f (%s), within noise", what, cfg.NameB, cfg.NameA, float64(d.Diff), ci)
}
