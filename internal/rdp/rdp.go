package rdp

import (
	"errors"
	"fmt"
	"math"
)

// Version names the accountant's formulas and conversion. Record it next to every ε it produced.
const Version = "rdp/1"

// ErrUnreachable means no noise level reaches the target ε at this δ with these orders: even
// infinite noise leaves the conversion's own terms above the target.
var ErrUnreachable = errors.New("target epsilon cannot be reached")

// DefaultOrders returns Opacus' default RDP orders: 1.1, 1.2, …, 10.9, then 12, 13, …, 63.
func DefaultOrders() []float64 {
	orders := make([]float64, 0, 99+52)
	for i := 11; i <= 109; i++ {
		orders = append(orders, float64(i)/10)
	}
	for a := 12; a <= 63; a++ {
		orders = append(orders, float64(a))
	}
	return orders
}

// Phase is a stretch of DP-SGD steps with one sampling rate and one noise multiplier.
type Phase struct {
	SamplingRate float64 `json:"sampling_rate"` // q: probability that a unit (patient) is in a batch
	Noise        float64 `json:"noise"`         // σ: noise standard deviation divided by the clip norm
	Steps        int     `json:"steps"`
}

// Validate reports a sampling rate outside [0, 1], a negative or non-finite noise multiplier or a
// negative step count.
func (p Phase) Validate() error {
	switch {
	case !(p.SamplingRate >= 0 && p.SamplingRate <= 1):
		return fmt.Errorf("sampling rate %g outside [0, 1]", p.SamplingRate)
	case !(p.Noise >= 0) || math.IsInf(p.Noise, 1):
		return fmt.Errorf("noise multiplier %g must be a finite number >= 0", p.Noise)
	case p.Steps < 0:
		return fmt.Errorf("step count %d is negative", p.Steps)
	}
	return nil
}

func validateOrders(orders []float64) error {
	if len(orders) == 0 {
		return errors.New("no RDP orders")
	}
	for _, a := range orders {
		if !(a > 1) || math.IsInf(a, 1) {
			return fmt.Errorf("RDP order %g must be a finite number > 1", a)
		}
	}
	return nil
}

func validateDelta(delta float64) error {
	if !(delta > 0 && delta < 1) {
		return fmt.Errorf("delta %g outside (0, 1)", delta)
	}
	return nil
}

// StepRDP returns the RDP at order alpha of one step of the sampled Gaussian mechanism with
// sampling rate q and noise multiplier sigma.
func StepRDP(q, sigma, alpha float64) (float64, error) {
	if err := (Phase{SamplingRate: q, Noise: sigma}).Validate(); err != nil {
		return 0, err
	}
	if err := validateOrders([]float64{alpha}); err != nil {
		return 0, err
	}
	switch {
	case q == 0:
		return 0, nil
	case sigma == 0:
		return math.Inf(1), nil
	case q == 1:
		return alpha / (2 * sigma * sigma), nil
	}
	var logA float64
	if alpha == math.Trunc(alpha) && alpha <= 1<<20 {
		logA = logAInt(q, sigma, int(alpha))
	} else {
		logA = logAFrac(q, sigma, alpha)
	}
	// A_α ≥ 1; with huge σ the series can round to a hair below it.
	if logA < 0 && logA > -1e-12 {
		logA = 0
	}
	if math.IsNaN(logA) || logA < 0 {
		return 0, fmt.Errorf("RDP of q=%g sigma=%g at order %g: numerical failure", q, sigma, alpha)
	}
	return logA / (alpha - 1), nil
}

// logAInt returns log A_α for integer α. Because Σ C(α,i)(1−q)^{α−i}q^i = 1, it sums only the
// excess A_α − 1 = Σ_{i≥2} C(α,i)(1−q)^{α−i}q^i (exp((i²−i)/(2σ²)) − 1), whose terms are all
// positive, so tiny sampling rates keep their precision.
func logAInt(q, sigma float64, alpha int) float64 {
	lq, l1q := math.Log(q), math.Log1p(-q)
	a := float64(alpha)
	la1, _ := math.Lgamma(a + 1)
	terms := make([]float64, 0, alpha)
	for i := 2; i <= alpha; i++ {
		fi := float64(i)
		li1, _ := math.Lgamma(fi + 1)
		lai1, _ := math.Lgamma(a - fi + 1)
		logCoef := la1 - li1 - lai1
		terms = append(terms, logCoef+fi*lq+(a-fi)*l1q+logExpm1((fi*fi-fi)/(2*sigma*sigma)))
	}
	return log1pExp(logSumExp(terms))
}

// logAFrac returns log A_α for fractional α by the series of Mironov, Talwar and Zhang (2019):
// the integral is split at z0 where the two Gaussians' densities cross, and each half expanded
// with generalised binomial coefficients, whose signs alternate once i > α + 1.
func logAFrac(q, sigma, alpha float64) float64 {
	logA0, logA1 := math.Inf(-1), math.Inf(-1)
	lq, l1q := math.Log(q), math.Log1p(-q)
	s2 := sigma * sigma
	z0 := s2*(l1q-lq) + 0.5
	la1, _ := math.Lgamma(alpha + 1)
	const maxTerms = 1 << 16
	for i := 0; i < maxTerms; i++ {
		fi := float64(i)
		j := alpha - fi
		li1, _ := math.Lgamma(fi + 1)
		lj1, sign := math.Lgamma(j + 1)
		logCoef := la1 - li1 - lj1 // log|C(α, i)|; Γ(α+1), Γ(i+1) > 0
		logT0 := logCoef + fi*lq + j*l1q
		logT1 := logCoef + j*lq + fi*l1q
		logE0 := math.Log(0.5) + logErfc((fi-z0)/(math.Sqrt2*sigma))
		logE1 := math.Log(0.5) + logErfc((z0-j)/(math.Sqrt2*sigma))
		logS0 := logT0 + (fi*fi-fi)/(2*s2) + logE0
		logS1 := logT1 + (j*j-j)/(2*s2) + logE1
		if sign > 0 {
			logA0 = logAdd(logA0, logS0)
			logA1 = logAdd(logA1, logS1)
		} else {
			logA0 = logSub(logA0, logS0)
			logA1 = logSub(logA1, logS1)
		}
		if math.IsNaN(logA0) || math.IsNaN(logA1) {
			return math.NaN()
		}
		// Stop once past the positive coefficients (i > α) and the terms are negligible; before
		// that a small term can still be followed by large ones (large α, q near 1/2).
		if fi > alpha && math.Max(logS0, logS1) < -30 {
			return logAdd(logA0, logA1)
		}
	}
	return math.NaN()
}

// logErfc returns log(erfc(x)) without underflow: beyond x = 20, where erfc(x) < 1e-175, it uses
// the asymptotic series log erfc(x) = −x² − log x − log(π)/2 + log(1 − 1/(2x²) + 3/(4x⁴) − …),
// expanded to the x⁻⁸ term (error below 1e-12 there).
func logErfc(x float64) float64 {
	if x < 20 {
		return math.Log(math.Erfc(x))
	}
	x2 := x * x
	return -math.Log(math.Pi)/2 - math.Log(x) - x2 - 0.5/x2 + 0.625/(x2*x2) - 37.0/24/(x2*x2*x2) + 353.0/64/(x2*x2*x2*x2)
}

// logAdd returns log(exp(x) + exp(y)).
func logAdd(x, y float64) float64 {
	a, b := math.Max(x, y), math.Min(x, y)
	if math.IsInf(b, -1) {
		return a
	}
	return a + math.Log1p(math.Exp(b-a))
}

// logSub returns log(exp(x) − exp(y)); NaN when the difference would be negative.
func logSub(x, y float64) float64 {
	switch {
	case math.IsInf(y, -1):
		return x
	case x < y:
		return math.NaN()
	case x == y:
		return math.Inf(-1)
	}
	return y + math.Log(math.Expm1(x-y))
}

// logSumExp returns log Σ exp(t); −Inf for no terms.
func logSumExp(t []float64) float64 {
	m := math.Inf(-1)
	for _, v := range t {
		m = math.Max(m, v)
	}
	if math.IsInf(m, 0) {
		return m
	}
	var s float64
	for _, v := range t {
		s += math.Exp(v - m)
	}
	return m + math.Log(s)
}

// logExpm1 returns log(exp(x) − 1) for x > 0.
func logExpm1(x float64) float64 {
	if x > 30 {
		return x + math.Log1p(-math.Exp(-x))
	}
	return math.Log(math.Expm1(x))
}

// log1pExp returns log(1 + exp(x)).
func log1pExp(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

// Compose returns, for each order, the total RDP of the phases run one after another.
func Compose(phases []Phase, orders []float64) ([]float64, error) {
	if err := validateOrders(orders); err != nil {
		return nil, err
	}
	total := make([]float64, len(orders))
	for _, p := range phases {
		if err := p.Validate(); err != nil {
			return nil, err
		}
		if p.Steps == 0 {
			continue
		}
		for k, a := range orders {
			r, err := StepRDP(p.SamplingRate, p.Noise, a)
			if err != nil {
				return nil, err
			}
			total[k] += float64(p.Steps) * r
		}
	}
	return total, nil
}

// Budget is an (Epsilon, Delta) differential privacy guarantee, derived from the RDP bound at
// Order.
type Budget struct {
	Epsilon float64 `json:"epsilon"`
	Delta   float64 `json:"delta"`
	Order   float64 `json:"order"`
}

// Epsilon converts RDP values (one per order) to the smallest ε at delta, with the bound of
// Balle et al. 2020 (Opacus' and TF Privacy's): ε = RDP(α) + log((α−1)/α) − (log δ + log α)/(α−1).
// Without privacy (every RDP infinite) ε is +Inf and the order NaN.
func Epsilon(rdp, orders []float64, delta float64) (Budget, error) {
	return convert(rdp, orders, delta, func(r, a float64) float64 {
		return r + math.Log1p(-1/a) - (math.Log(delta)+math.Log(a))/(a-1)
	})
}

// EpsilonClassic converts with the older bound of Mironov 2017, ε = RDP(α) − log δ/(α−1). It is
// never smaller than [Epsilon]'s and is kept to compare with tools that still use it.
func EpsilonClassic(rdp, orders []float64, delta float64) (Budget, error) {
	return convert(rdp, orders, delta, func(r, a float64) float64 {
		return r - math.Log(delta)/(a-1)
	})
}

func convert(rdp, orders []float64, delta float64, eps func(r, a float64) float64) (Budget, error) {
	if err := validateOrders(orders); err != nil {
		return Budget{}, err
	}
	if err := validateDelta(delta); err != nil {
		return Budget{}, err
	}
	if len(rdp) != len(orders) {
		return Budget{}, fmt.Errorf("%d RDP values for %d orders", len(rdp), len(orders))
	}
	best := Budget{Epsilon: math.Inf(1), Delta: delta, Order: math.NaN()}
	for k, a := range orders {
		r := rdp[k]
		if math.IsNaN(r) || r < 0 {
			return Budget{}, fmt.Errorf("RDP value %g at order %g is not a number >= 0", r, a)
		}
		if e := eps(r, a); e < best.Epsilon {
			best.Epsilon, best.Order = e, a
		}
	}
	best.Epsilon = math.Max(best.Epsilon, 0)
	return best, nil
}

// Spend returns the (ε, δ) guarantee of the phases at delta, minimised over orders (nil means
// [DefaultOrders]).
func Spend(phases []Phase, delta float64, orders []float64) (Budget, error) {
	if orders == nil {
		orders = DefaultOrders()
	}
	r, err := Compose(phases, orders)
	if err != nil {
		return Budget{}, err
	}
	return Epsilon(r, orders, delta)
}

// CalibrateNoise returns the smallest noise multiplier σ (to a relative precision of 1e-9, always
// on the safe side) for which steps steps at sampling rate q spend at most target ε at delta, and
// the budget it spends. orders nil means [DefaultOrders]. It returns [ErrUnreachable] when even
// σ = 1e6 spends more than the target.
func CalibrateNoise(q float64, steps int, delta, target float64, orders []float64) (float64, Budget, error) {
	if orders == nil {
		orders = DefaultOrders()
	}
	if err := validateOrders(orders); err != nil {
		return 0, Budget{}, err
	}
	if err := validateDelta(delta); err != nil {
		return 0, Budget{}, err
	}
	if !(target > 0) || math.IsInf(target, 1) {
		return 0, Budget{}, fmt.Errorf("target epsilon %g must be a finite number > 0", target)
	}
	spend := func(sigma float64) (Budget, error) {
		return Spend([]Phase{{SamplingRate: q, Noise: sigma, Steps: steps}}, delta, orders)
	}
	// σ = 0 spends nothing only when nothing is sampled.
	if b, err := spend(0); err != nil {
		return 0, Budget{}, err
	} else if b.Epsilon <= target {
		return 0, b, nil
	}
	const maxNoise = 1e6
	lo, hi := 0.0, 1.0
	for {
		b, err := spend(hi)
		if err != nil {
			return 0, Budget{}, err
		}
		if b.Epsilon <= target {
			break
		}
		if hi >= maxNoise {
			return 0, Budget{}, fmt.Errorf("%w: epsilon %g at delta %g (with sigma %g epsilon is still %.4g; at this delta no noise gets below about that)",
				ErrUnreachable, target, delta, maxNoise, b.Epsilon)
		}
		lo, hi = hi, hi*2
	}
	for hi-lo > 1e-9*hi {
		mid := lo + (hi-lo)/2
		b, err := spend(mid)
		if err != nil {
			return 0, Budget{}, err
		}
		if b.Epsilon <= target {
			hi = mid
		} else {
			lo = mid
		}
	}
	b, err := spend(hi)
	return hi, b, err
}
