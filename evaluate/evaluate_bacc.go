package evaluate

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/raysynth/raysynth/internal/metrics"
)

// BalancedDifference is regime B's balanced accuracy minus regime A's on one test set, with a
// paired bootstrap interval: each resample draws test images with replacement, keeping all
// repeats' predictions of an image together, as the per-class comparisons do. Balanced accuracy
// is the mean sensitivity over the classes with at least the minimum support on the whole test
// set, pooled over repeats (each repeat tests the same images, so this is the mean over repeats).
type BalancedDifference struct {
	A         metrics.Metric `json:"a"`
	B         metrics.Metric `json:"b"`
	Diff      metrics.Metric `json:"diff"` // B − A
	Lo        metrics.Metric `json:"lo"`
	Hi        metrics.Metric `json:"hi"`
	Level     float64        `json:"level"`
	Resamples int            `json:"resamples"`
	Seed      uint64         `json:"seed"`
	Beyond    bool           `json:"beyond_noise"` // the interval excludes zero
}

// balancedBootstrap compares the balanced accuracy of predictions predB against predA
// ([repeat][image]) on images whose classes are truth.
func balancedBootstrap(k, minSupport, resamples int, seed uint64, truth []int, predA, predB [][]int) BalancedDifference {
	if resamples == 0 {
		resamples = 2000
	}
	if minSupport == 0 {
		minSupport = metrics.DefaultMinSupport
	}
	n := len(truth)
	support := make([]int, k)
	for _, t := range truth {
		support[t]++
	}
	// hits[i]: how many repeats predicted image i right, for A and for B
	hits := func(pred [][]int) []int {
		h := make([]int, n)
		for _, rep := range pred {
			for i, p := range rep {
				if p == truth[i] {
					h[i]++
				}
			}
		}
		return h
	}
	hA, hB := hits(predA), hits(predB)
	bacc := func(mult []int, h []int, repeats int) float64 {
		num, den := make([]float64, k), make([]float64, k)
		for i, m := range mult {
			if m > 0 {
				num[truth[i]] += float64(m * h[i])
				den[truth[i]] += float64(m * repeats)
			}
		}
		var s float64
		var classes int
		for c := range k {
			if support[c] >= minSupport && den[c] > 0 {
				s += num[c] / den[c]
				classes++
			}
		}
		if classes == 0 {
			return math.NaN()
		}
		return s / float64(classes)
	}
	ones := make([]int, n)
	for i := range ones {
		ones[i] = 1
	}
	a, b := bacc(ones, hA, len(predA)), bacc(ones, hB, len(predB))
	d := BalancedDifference{A: metrics.Metric(a), B: metrics.Metric(b), Diff: metrics.Metric(b - a), Level: 0.95, Resamples: resamples, Seed: seed}
	rng := rand.New(rand.NewPCG(seed, 0xbacc))
	diffs := make([]float64, 0, resamples)
	mult := make([]int, n)
	for range resamples {
		clear(mult)
		for range n {
			mult[rng.IntN(n)]++
		}
		if v := bacc(mult, hB, len(predB)) - bacc(mult, hA, len(predA)); !math.IsNaN(v) {
			diffs = append(diffs, v)
		}
	}
	if len(diffs) == 0 || math.IsNaN(a) || math.IsNaN(b) {
		d.Lo, d.Hi = metrics.Metric(math.NaN()), metrics.Metric(math.NaN())
		return d
	}
	slices.Sort(diffs)
	q := func(p float64) float64 { return diffs[min(len(diffs)-1, int(p*float64(len(diffs))))] }
	d.Lo, d.Hi = metrics.Metric(q(0.025)), metrics.Metric(q(0.975))
	d.Beyond = d.Lo > 0 || d.Hi < 0
	return d
}
