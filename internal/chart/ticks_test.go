package chart

import "testing"

func TestNiceTicksLabelRoundNumbers(t *testing.T) {
	for _, tc := range []struct {
		lo, hi  float64
		integer bool
		want    []string
	}{
		{0, 15, true, []string{"0", "2", "4", "6", "8", "10", "12", "14"}},
		{0, 13, true, []string{"0", "2", "4", "6", "8", "10", "12"}},
		{0, 3, true, []string{"0", "1", "2", "3"}},
		{0.31, 1.62, false, []string{"0.4", "0.6", "0.8", "1.0", "1.2", "1.4", "1.6"}},
		{100, 420, false, []string{"100", "150", "200", "250", "300", "350", "400"}},
	} {
		var got []string
		for _, tk := range (NiceTicks{Integer: tc.integer}).Ticks(tc.lo, tc.hi) {
			if tk.Label != "" {
				got = append(got, tk.Label)
			}
		}
		if len(got) != len(tc.want) {
			t.Errorf("[%g, %g]: labels %v, want %v", tc.lo, tc.hi, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("[%g, %g]: labels %v, want %v", tc.lo, tc.hi, got, tc.want)
				break
			}
		}
	}
}
