package privacy

import (
	"math"
	"slices"
)

// percentile returns the p-th percentile (0…100) of v by linear interpolation between order
// statistics (NaN for an empty slice).
func percentile(v []float64, p float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	slices.Sort(s)
	h := p / 100 * float64(len(s)-1)
	lo := int(math.Floor(h))
	if lo >= len(s)-1 {
		return s[len(s)-1]
	}
	return s[lo] + (h-float64(lo))*(s[lo+1]-s[lo])
}

func mean(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// rocAUC returns the area under the ROC curve of scores where a higher score means "member":
// the probability that a random positive outranks a random negative, ties counting one half.
func rocAUC(pos, neg []float64) float64 {
	if len(pos) == 0 || len(neg) == 0 {
		return math.NaN()
	}
	type sc struct {
		v   float64
		pos bool
	}
	all := make([]sc, 0, len(pos)+len(neg))
	for _, v := range pos {
		all = append(all, sc{v, true})
	}
	for _, v := range neg {
		all = append(all, sc{v, false})
	}
	slices.SortFunc(all, func(a, b sc) int {
		switch {
		case a.v < b.v:
			return -1
		case a.v > b.v:
			return 1
		}
		return 0
	})
	// Mann–Whitney U with average ranks for ties
	var rankSum float64
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].v == all[i].v {
			j++
		}
		avg := float64(i+j+1) / 2 // ranks i+1 … j
		for k := i; k < j; k++ {
			if all[k].pos {
				rankSum += avg
			}
		}
		i = j
	}
	np, nn := float64(len(pos)), float64(len(neg))
	return (rankSum - np*(np+1)/2) / (np * nn)
}

// tprAtFPR returns the true-positive rate at false-positive rate fpr on the ROC curve of scores
// (higher means "member"), interpolating linearly between the curve's points.
func tprAtFPR(pos, neg []float64, fpr float64) float64 {
	if len(pos) == 0 || len(neg) == 0 {
		return math.NaN()
	}
	p := slices.Clone(pos)
	n := slices.Clone(neg)
	slices.Sort(p)
	slices.Reverse(p)
	slices.Sort(n)
	slices.Reverse(n)
	px, py := 0.0, 0.0 // previous ROC point (FPR, TPR)
	i, j := 0, 0
	for i < len(p) || j < len(n) {
		// next threshold: the largest remaining score; take every score equal to it
		t := math.Inf(-1)
		if i < len(p) {
			t = p[i]
		}
		if j < len(n) && n[j] > t {
			t = n[j]
		}
		for i < len(p) && p[i] == t {
			i++
		}
		for j < len(n) && n[j] == t {
			j++
		}
		x, y := float64(j)/float64(len(n)), float64(i)/float64(len(p))
		if x >= fpr {
			if x == px {
				return py
			}
			return py + (fpr-px)/(x-px)*(y-py)
		}
		px, py = x, y
	}
	return py
}
