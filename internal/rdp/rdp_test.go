package rdp

import (
	"errors"
	"math"
	"testing"
)

func intOrders(lo, hi int) []float64 {
	var o []float64
	for a := lo; a <= hi; a++ {
		o = append(o, float64(a))
	}
	return o
}

func relClose(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*math.Max(math.Abs(want), 1e-300)
}

// The test vector of ../shared/notes/privacy.md, checked there independently.
func TestNotesVector(t *testing.T) {
	phases := []Phase{{SamplingRate: 1e-5, Noise: 1.0, Steps: 10}, {SamplingRate: 1e-4, Noise: 3.0, Steps: 4}}
	orders := intOrders(2, 32)
	r, err := Compose(phases, orders)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		convert func([]float64, []float64, float64) (Budget, error)
		eps     float64
	}{
		{"balle2020", Epsilon, 0.3363},
		{"classic", EpsilonClassic, 0.5233},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.convert(r, orders, 1e-5)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(b.Epsilon-tc.eps) > 5e-5 || b.Order != 23 || b.Delta != 1e-5 {
				t.Errorf("got ε = %.6f at α = %g (δ %g), want %.4f at α = 23", b.Epsilon, b.Order, b.Delta, tc.eps)
			}
		})
	}
	// Spend composes and converts in one call with the same result.
	b, err := Spend(phases, 1e-5, orders)
	if err != nil || math.Abs(b.Epsilon-0.3363) > 5e-5 {
		t.Errorf("Spend = %+v, %v", b, err)
	}
}

func TestEdgeCases(t *testing.T) {
	for _, a := range []float64{1.1, 1.5, 2, 7.3, 23, 63} {
		if r, err := StepRDP(0, 1.3, a); err != nil || r != 0 {
			t.Errorf("q=0, α=%g: %g, %v; want 0", a, r, err)
		}
		if r, err := StepRDP(0.01, 0, a); err != nil || !math.IsInf(r, 1) {
			t.Errorf("σ=0, α=%g: %g, %v; want +Inf", a, r, err)
		}
		if r, err := StepRDP(1, 2, a); err != nil || r != a/8 {
			t.Errorf("q=1, σ=2, α=%g: %g, %v; want %g", a, r, err, a/8)
		}
		// The series approach the plain Gaussian as q → 1.
		if r, err := StepRDP(1-1e-9, 2, a); err != nil || !relClose(r, a/8, 1e-6) {
			t.Errorf("q=1-1e-9, σ=2, α=%g: %g, %v; want ≈ %g", a, r, err, a/8)
		}
	}
	// No noise: no privacy, reported as ε = +Inf rather than an error.
	b, err := Spend([]Phase{{SamplingRate: 0.01, Noise: 0, Steps: 1}}, 1e-5, nil)
	if err != nil || !math.IsInf(b.Epsilon, 1) || !math.IsNaN(b.Order) {
		t.Errorf("σ=0: %+v, %v; want ε=+Inf, order NaN", b, err)
	}
	// Nothing sampled: the bound is the conversion's own slack, and no negative ε is reported.
	b, err = Spend([]Phase{{SamplingRate: 0, Noise: 1, Steps: 100}}, 0.5, nil)
	if err != nil || b.Epsilon != 0 {
		t.Errorf("q=0, δ=0.5: %+v, %v; want ε = 0", b, err)
	}
}

func TestInvalidInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    func() error
	}{
		{"q<0", func() error { _, err := StepRDP(-0.1, 1, 2); return err }},
		{"q>1", func() error { _, err := StepRDP(1.1, 1, 2); return err }},
		{"q NaN", func() error { _, err := StepRDP(math.NaN(), 1, 2); return err }},
		{"σ<0", func() error { _, err := StepRDP(0.1, -1, 2); return err }},
		{"σ Inf", func() error { _, err := StepRDP(0.1, math.Inf(1), 2); return err }},
		{"α=1", func() error { _, err := StepRDP(0.1, 1, 1); return err }},
		{"α=0.5", func() error { _, err := StepRDP(0.1, 1, 0.5); return err }},
		{"negative steps", func() error { _, err := Compose([]Phase{{0.1, 1, -1}}, []float64{2}); return err }},
		{"no orders", func() error { _, err := Compose(nil, []float64{}); return err }},
		{"δ=0", func() error { _, err := Epsilon([]float64{1}, []float64{2}, 0); return err }},
		{"δ=1", func() error { _, err := Epsilon([]float64{1}, []float64{2}, 1); return err }},
		{"length mismatch", func() error { _, err := Epsilon([]float64{1}, []float64{2, 3}, 1e-5); return err }},
		{"negative RDP", func() error { _, err := Epsilon([]float64{-1}, []float64{2}, 1e-5); return err }},
		{"target 0", func() error { _, _, err := CalibrateNoise(0.01, 10, 1e-5, 0, nil); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.f() == nil {
				t.Error("no error")
			}
		})
	}
}

func TestDefaultOrders(t *testing.T) {
	o := DefaultOrders()
	if len(o) != 99+52 || o[0] != 1.1 || o[98] != 10.9 || o[99] != 12 || o[len(o)-1] != 63 {
		t.Fatalf("orders: %d values, %v … %v", len(o), o[:3], o[len(o)-3:])
	}
	for i := 1; i < len(o); i++ {
		if !(o[i] > o[i-1]) {
			t.Fatalf("orders not increasing at %d: %g, %g", i, o[i-1], o[i])
		}
	}
}

// At integer orders the fractional series must give the integer formula's value: two different
// derivations of the same number.
func TestFractionalSeriesMatchesIntegerSum(t *testing.T) {
	for _, q := range []float64{1e-5, 1e-3, 0.01, 0.1, 0.5, 0.9} {
		for _, sigma := range []float64{0.5, 0.8, 1, 2, 5, 20} {
			for _, a := range []int{2, 3, 4, 7, 12, 23, 40, 63} {
				li := logAInt(q, sigma, a)
				lf := logAFrac(q, sigma, float64(a))
				if !(math.Abs(li-lf) <= 1e-9*math.Max(li, 1e-6)) {
					t.Errorf("q=%g σ=%g α=%d: integer log A %.15g, series %.15g", q, sigma, a, li, lf)
				}
			}
		}
	}
}

// integrateRDP computes the RDP of one step straight from its definition,
// log E_{z∼N(0,σ²)}[(μ(z)/μ0(z))^α] / (α−1) with μ(z)/μ0(z) = 1 − q + q·exp((2z−1)/(2σ²)),
// by composite Simpson's rule on a fine grid. It integrates A − 1 (through expm1/log1p) so that
// small values keep their precision.
func integrateRDP(q, sigma, alpha float64) float64 {
	s2 := sigma * sigma
	f := func(z float64) float64 {
		logRatio := math.Log1p(q * math.Expm1((2*z-1)/(2*s2)))
		return math.Exp(-z*z/(2*s2)) / (sigma * math.Sqrt(2*math.Pi)) * math.Expm1(alpha*logRatio)
	}
	lo, hi := -40*sigma, alpha+40*sigma+1
	const n = 400000 // even
	h := (hi - lo) / n
	sum := f(lo) + f(hi)
	for i := 1; i < n; i++ {
		w := 2.0
		if i%2 == 1 {
			w = 4
		}
		sum += w * f(lo+float64(i)*h)
	}
	return math.Log1p(sum*h/3) / (alpha - 1)
}

func TestFractionalOrdersAgreeWithIntegration(t *testing.T) {
	for _, tc := range []struct{ q, sigma, alpha float64 }{
		{0.01, 1.1, 1.1},
		{0.01, 1.1, 2.5},
		{0.01, 1.1, 10.9},
		{0.001, 0.8, 3.7},
		{0.1, 1, 1.5},
		{0.1, 2, 7.25},
		{0.1, 4, 20.5},
		{0.3, 1.5, 5.5},
		{0.5, 3, 12.75},
		{0.9, 2, 4.4},
		{1e-4, 3, 30.5},
	} {
		got, err := StepRDP(tc.q, tc.sigma, tc.alpha)
		if err != nil {
			t.Fatal(err)
		}
		want := integrateRDP(tc.q, tc.sigma, tc.alpha)
		if !relClose(got, want, 1e-6) {
			t.Errorf("q=%g σ=%g α=%g: series %.10g, integral %.10g", tc.q, tc.sigma, tc.alpha, got, want)
		}
	}
}

// A hand-computed value: q = 1/2, σ = 1, α = 2 gives A = 1/4·(1 + 2 + e) (the i = 0, 1, 2 terms
// 1/4, 2/4, e/4), so RDP = log((3 + e)/4).
func TestHandComputed(t *testing.T) {
	got, err := StepRDP(0.5, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	if want := math.Log((3 + math.E) / 4); !relClose(got, want, 1e-14) {
		t.Errorf("got %.16g, want %.16g", got, want)
	}
	// α = 3: A = 1/8·(1 + 3 + 3e + e³).
	got, _ = StepRDP(0.5, 1, 3)
	if want := math.Log((4+3*math.E+math.Exp(3))/8) / 2; !relClose(got, want, 1e-14) {
		t.Errorf("α=3: got %.16g, want %.16g", got, want)
	}
}

// No numerical failure anywhere on a wide grid of Opacus' orders, and RDP grows with the order.
func TestNoNumericalFailures(t *testing.T) {
	orders := DefaultOrders()
	for _, q := range []float64{1e-7, 1e-4, 0.004, 0.05, 0.25, 0.6, 0.99} {
		for _, sigma := range []float64{0.3, 0.6, 1, 1.7, 4, 50} {
			prev := 0.0
			for _, a := range orders {
				r, err := StepRDP(q, sigma, a)
				if err != nil {
					t.Fatalf("q=%g σ=%g α=%g: %v", q, sigma, a, err)
				}
				if math.IsNaN(r) || r < 0 || r < prev*(1-1e-9) {
					t.Fatalf("q=%g σ=%g α=%g: RDP %g (previous order %g)", q, sigma, a, r, prev)
				}
				prev = r
			}
		}
	}
}

func TestMonotonicity(t *testing.T) {
	const q, delta = 0.01, 1e-5
	eps := func(sigma float64, steps int) float64 {
		b, err := Spend([]Phase{{SamplingRate: q, Noise: sigma, Steps: steps}}, delta, nil)
		if err != nil {
			t.Fatal(err)
		}
		return b.Epsilon
	}
	t.Run("steps", func(t *testing.T) {
		prev := 0.0
		for _, n := range []int{1, 10, 100, 1000, 10000} {
			e := eps(1.1, n)
			if !(e > prev) {
				t.Errorf("ε(%d steps) = %g, not above %g", n, e, prev)
			}
			prev = e
		}
	})
	t.Run("noise", func(t *testing.T) {
		prev := math.Inf(1)
		for _, s := range []float64{0.5, 0.8, 1, 1.5, 3, 10} {
			e := eps(s, 1000)
			if !(e < prev) {
				t.Errorf("ε(σ=%g) = %g, not below %g", s, e, prev)
			}
			prev = e
		}
	})
	t.Run("sampling rate", func(t *testing.T) {
		prev := 0.0
		for _, qq := range []float64{1e-4, 1e-3, 0.01, 0.1, 1} {
			r, err := StepRDP(qq, 1.5, 8.5)
			if err != nil || !(r > prev) {
				t.Errorf("RDP(q=%g) = %g (%v), not above %g", qq, r, err, prev)
			}
			prev = r
		}
	})
}

func TestBalleNeverWorseThanClassic(t *testing.T) {
	orders := DefaultOrders()
	for _, sigma := range []float64{0.7, 1, 2, 5} {
		r, _ := Compose([]Phase{{SamplingRate: 0.02, Noise: sigma, Steps: 500}}, orders)
		b, _ := Epsilon(r, orders, 1e-6)
		c, _ := EpsilonClassic(r, orders, 1e-6)
		if !(b.Epsilon <= c.Epsilon) {
			t.Errorf("σ=%g: improved ε %g above classic %g", sigma, b.Epsilon, c.Epsilon)
		}
	}
}

func TestCalibrationRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		q     float64
		steps int
		delta float64
		sigma float64
	}{
		{0.01, 1000, 1e-5, 1.1},
		{0.05, 200, 1e-6, 0.9},
		{0.001, 20000, 1e-5, 2.5},
		{1, 10, 1e-5, 8},
	} {
		b0, err := Spend([]Phase{{tc.q, tc.sigma, tc.steps}}, tc.delta, nil)
		if err != nil {
			t.Fatal(err)
		}
		sigma, b, err := CalibrateNoise(tc.q, tc.steps, tc.delta, b0.Epsilon, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !relClose(sigma, tc.sigma, 1e-6) {
			t.Errorf("%+v: calibrated σ %.9g for ε %.6g, want %g", tc, sigma, b0.Epsilon, tc.sigma)
		}
		if b.Epsilon > b0.Epsilon {
			t.Errorf("%+v: calibrated σ spends ε %.12g above the target %.12g", tc, b.Epsilon, b0.Epsilon)
		}
		less, _ := Spend([]Phase{{tc.q, sigma * (1 - 1e-6), tc.steps}}, tc.delta, nil)
		if less.Epsilon <= b0.Epsilon {
			t.Errorf("%+v: a smaller σ also meets the target; calibration is not tight", tc)
		}
	}
}

func TestCalibrationUnreachable(t *testing.T) {
	_, _, err := CalibrateNoise(0.01, 100, 1e-5, 0.01, nil)
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("got %v, want ErrUnreachable", err)
	}
}

func TestAccountant(t *testing.T) {
	phases := []Phase{{1e-5, 1.0, 10}, {1e-4, 3.0, 4}}
	orders := intOrders(2, 32)
	acc, err := NewAccountant(orders)
	if err != nil {
		t.Fatal(err)
	}
	// One step at a time, as training adds them.
	for _, p := range phases {
		for i := 0; i < p.Steps; i++ {
			next, err := acc.SpentAfter(Phase{p.SamplingRate, p.Noise, 1}, 1e-5)
			if err != nil {
				t.Fatal(err)
			}
			if err := acc.Add(Phase{p.SamplingRate, p.Noise, 1}); err != nil {
				t.Fatal(err)
			}
			now, _ := acc.Spent(1e-5)
			if now != next {
				t.Fatalf("SpentAfter said %+v, Add gave %+v", next, now)
			}
		}
	}
	b, _ := acc.Spent(1e-5)
	if math.Abs(b.Epsilon-0.3363) > 5e-5 || b.Order != 23 {
		t.Errorf("step by step: %+v, want ε 0.3363 at α 23", b)
	}
	got := acc.Phases()
	if len(got) != 2 || got[0] != phases[0] || got[1] != phases[1] {
		t.Errorf("phases %+v, want %+v", got, phases)
	}
	// A resumed run rebuilds the same state from the recorded phases.
	re, _ := NewAccountant(orders)
	for _, p := range got {
		if err := re.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	if rb, _ := re.Spent(1e-5); math.Abs(rb.Epsilon-b.Epsilon) > 1e-12 {
		t.Errorf("resumed %+v, original %+v", rb, b)
	}
}

func TestPlan(t *testing.T) {
	base := PlanConfig{SamplingRate: 0.01, Steps: 1000, Delta: 1e-5}
	withNoise := base
	withNoise.Noise = 1.1
	r, err := Plan(withNoise)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := Spend([]Phase{{0.01, 1.1, 1000}}, 1e-5, nil)
	if r.Epsilon != want.Epsilon || r.Order != want.Order || r.Noise != 1.1 || r.Calibrated || r.Accountant != Version {
		t.Errorf("Plan(noise) = %+v, want %+v", r, want)
	}
	withTarget := base
	withTarget.TargetEpsilon = r.Epsilon
	withTarget.NoiseDecimals = 2
	c, err := Plan(withTarget)
	if err != nil {
		t.Fatal(err)
	}
	if c.Noise != 1.1 || !c.Calibrated || c.Epsilon > r.Epsilon {
		t.Errorf("Plan(target %g, 2 decimals) = %+v, want noise 1.1", r.Epsilon, c)
	}
	for _, bad := range []PlanConfig{
		base,                             // neither
		{0.01, 1000, 1e-5, 1, 2, nil, 0}, // both
		{0, 1000, 1e-5, 1, 0, nil, 0},
		{0.01, 0, 1e-5, 1, 0, nil, 0},
		{0.01, 10, 0, 1, 0, nil, 0},
		{0.01, 10, 1e-5, -1, 0, nil, 0},
	} {
		if err := bad.Validate(); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}
