package privacy

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
)

// bootstrap decides statistical checks. A check's value is a point estimate from finite samples;
// the gate compares a one-sided confidence bound of it with the threshold, from a seeded
// bootstrap that resamples each group (synthetic images, patients) independently. With
// confidence 0 it compares the point estimate itself.
type bootstrap struct {
	conf float64
	b    int
	seed uint64
}

func newBootstrap(conf float64, b int, name string) bootstrap {
	h := fnv.New64a()
	h.Write([]byte(name))
	return bootstrap{conf: conf, b: b, seed: h.Sum64()}
}

func (bs bootstrap) rng(c Check) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(c.Name))
	return rand.New(rand.NewPCG(bs.seed, h.Sum64()))
}

// replicates returns b values of stat on resampled groups.
func (bs bootstrap) replicates(rng *rand.Rand, groups [][]float64, stat func([][]float64) float64) []float64 {
	out := make([]float64, 0, bs.b)
	buf := make([][]float64, len(groups))
	for i, g := range groups {
		buf[i] = make([]float64, len(g))
	}
	for range bs.b {
		for i, g := range groups {
			for k := range buf[i] {
				buf[i][k] = g[rng.IntN(len(g))]
			}
		}
		if v := stat(buf); !math.IsNaN(v) {
			out = append(out, v)
		}
	}
	return out
}

func empty(groups [][]float64) bool {
	return slices.ContainsFunc(groups, func(g []float64) bool { return len(g) == 0 })
}

// noteBeyond is the note on a passing statistical check whose point estimate is beyond the
// threshold: the steward sees it, and a policy with confidence 0 would fail it.
const noteBeyond = "point estimate beyond the threshold, not significantly: passes at this confidence, fails with statistics.confidence 0"

func warnBeyond(c Check) Check {
	if c.Passed && ((c.Rule == "<=" && c.Value > c.Threshold) || (c.Rule == ">=" && c.Value < c.Threshold)) {
		c.Note = noteBeyond
	}
	return c
}

// atMost fills in a "value ≤ threshold" check: it fails when the lower confidence bound of the
// value exceeds the threshold.
func (bs bootstrap) atMost(c Check, groups [][]float64, stat func([][]float64) float64) Check {
	c.Rule = "<="
	if c.Note != "" || empty(groups) {
		return c
	}
	c.Value = finite(stat(groups))
	c.Bound = c.Value
	if bs.conf > 0 {
		c.Bound = finite(percentile(bs.replicates(bs.rng(c), groups, stat), 100*(1-bs.conf)))
		c.Bound = min(c.Bound, c.Value)
	}
	c.Passed = c.Bound <= c.Threshold
	return warnBeyond(c)
}

// atLeast fills in a "value(s) ≥ factor · value(h)" check (synthetic against holdout): it fails
// when the upper confidence bound of value(s) − factor·value(h) is below zero.
func (bs bootstrap) atLeast(c Check, factor float64, s, h []float64, stat func([]float64) float64) Check {
	c.Rule = ">="
	if c.Note != "" || len(s) == 0 || len(h) == 0 {
		return c
	}
	c.Value = finite(stat(s))
	c.Threshold = finite(factor * stat(h))
	c.Bound = c.Value
	if bs.conf > 0 {
		diff := bs.replicates(bs.rng(c), [][]float64{s, h}, func(g [][]float64) float64 { return stat(g[0]) - factor*stat(g[1]) })
		c.Bound = max(c.Value, c.Threshold+finite(percentile(diff, 100*bs.conf)))
	}
	c.Passed = c.Bound >= c.Threshold
	return warnBeyond(c)
}

// decide fills in a "value ≤ threshold" check from a value and bootstrap replicates that also
// resample the synthetic set. Resampling S with replacement keeps about 63% of its distinct
// images, which moves nearest-neighbour statistics towards zero, so the replicates give only the
// spread: the bound is value − (median − lower quantile), centred on the point estimate.
func (bs bootstrap) decide(c Check, value float64, reps []float64) Check {
	c.Rule = "<="
	if c.Note != "" {
		return c
	}
	c.Value = finite(value)
	c.Bound = c.Value
	if bs.conf > 0 && len(reps) > 0 {
		spread := percentile(reps, 50) - percentile(reps, 100*(1-bs.conf))
		c.Bound = c.Value - max(0, finite(spread))
	}
	c.Passed = c.Bound <= c.Threshold
	return warnBeyond(c)
}
