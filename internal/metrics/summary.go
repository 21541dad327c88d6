package metrics

import (
	"fmt"
	"math"
)

// Summary is the mean and sample standard deviation of a metric over repeats.
type Summary struct {
	Mean Metric `json:"mean"`
	SD   Metric `json:"sd"` // sample standard deviation (n − 1); undefined for fewer than 2 values
	N    int    `json:"n"`  // repeats in which the metric was defined
	Of   int    `json:"of"` // repeats in all
}

// Summarize returns mean ± standard deviation of the defined values (NaN ones are counted in Of
// but not in N).
func Summarize(values []float64) Summary {
	s := Summary{Mean: NaN, SD: NaN, Of: len(values)}
	var sum float64
	for _, v := range values {
		if !math.IsNaN(v) {
			sum += v
			s.N++
		}
	}
	if s.N == 0 {
		return s
	}
	mean := sum / float64(s.N)
	s.Mean = Metric(mean)
	if s.N < 2 {
		return s
	}
	var ss float64
	for _, v := range values {
		if !math.IsNaN(v) {
			ss += (v - mean) * (v - mean)
		}
	}
	s.SD = Metric(math.Sqrt(ss / float64(s.N-1)))
	return s
}

// String formats the summary as "0.707 ± 0.031", with "(2 of 3 repeats)" when some repeats had
// no value, and "n/a" when none had.
func (s Summary) String() string {
	if !s.Mean.Defined() {
		return "n/a"
	}
	out := s.Mean.Format(3)
	if s.SD.Defined() {
		out += " ± " + s.SD.Format(3)
	}
	if s.N < s.Of {
		out += fmt.Sprintf(" (%d of %d repeats)", s.N, s.Of)
	}
	return out
}
