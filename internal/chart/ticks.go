package chart

import (
	"math"
	"strconv"

	"gonum.org/v1/plot"
)

// NiceTicks labels an axis at 1, 2 or 5 times a power of ten, five to ten labels a side, so that
// a reader sees 0, 5, 10, 15 rather than 2.5, 7.5, 12.5. With Integer set it never labels
// fractions (epochs).
type NiceTicks struct{ Integer bool }

func (n NiceTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) {
		return []plot.Tick{{Value: lo, Label: strconv.FormatFloat(lo, 'g', 4, 64)}}
	}
	step := niceStep((hi - lo) / 8)
	if n.Integer {
		step = max(step, 1)
	}
	decimals := max(0, int(-math.Floor(math.Log10(step)+1e-9)))
	var ticks []plot.Tick
	minor := step / 5
	if n.Integer && minor < 1 {
		minor = step
	}
	for v := math.Ceil(lo/minor) * minor; v <= hi+minor*1e-9; v += minor {
		t := plot.Tick{Value: v}
		if k := v / step; math.Abs(k-math.Round(k)) < 1e-6 {
			t.Value = math.Round(k) * step
			t.Label = strconv.FormatFloat(t.Value, 'f', decimals, 64)
		}
		ticks = append(ticks, t)
	}
	return ticks
}

// niceStep is the smallest 1, 2 or 5 times a power of ten at least raw.
func niceStep(raw float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw*(1-1e-9) {
			return m * p
		}
	}
	return 10 * p
}
