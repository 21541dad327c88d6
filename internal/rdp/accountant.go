package rdp

import "slices"

// Accountant keeps count of the privacy spent by a training run, phase by phase. A resumed run
// rebuilds it by adding the phases recorded in its checkpoint ([Accountant.Phases]). It is not
// safe for concurrent use.
type Accountant struct {
	orders []float64
	total  []float64 // RDP spent so far, per order
	phases []Phase

	// per-step RDP of the last (q, σ) seen, so that adding one step at a time stays cheap
	lastQ, lastSigma float64
	lastStep         []float64
}

// NewAccountant returns an accountant over orders (nil means [DefaultOrders]).
func NewAccountant(orders []float64) (*Accountant, error) {
	if orders == nil {
		orders = DefaultOrders()
	}
	if err := validateOrders(orders); err != nil {
		return nil, err
	}
	return &Accountant{orders: slices.Clone(orders), total: make([]float64, len(orders))}, nil
}

func (a *Accountant) stepRDP(q, sigma float64) ([]float64, error) {
	if a.lastStep != nil && a.lastQ == q && a.lastSigma == sigma {
		return a.lastStep, nil
	}
	r, err := Compose([]Phase{{SamplingRate: q, Noise: sigma, Steps: 1}}, a.orders)
	if err != nil {
		return nil, err
	}
	a.lastQ, a.lastSigma, a.lastStep = q, sigma, r
	return r, nil
}

func (a *Accountant) after(p Phase) ([]float64, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	step, err := a.stepRDP(p.SamplingRate, p.Noise)
	if err != nil {
		return nil, err
	}
	t := slices.Clone(a.total)
	if p.Steps > 0 {
		for k := range t {
			t[k] += float64(p.Steps) * step[k]
		}
	}
	return t, nil
}

// Add records p as spent. Consecutive phases with the same sampling rate and noise are merged.
func (a *Accountant) Add(p Phase) error {
	t, err := a.after(p)
	if err != nil {
		return err
	}
	a.total = t
	if n := len(a.phases); n > 0 && a.phases[n-1].SamplingRate == p.SamplingRate && a.phases[n-1].Noise == p.Noise {
		a.phases[n-1].Steps += p.Steps
	} else if p.Steps > 0 {
		a.phases = append(a.phases, p)
	}
	return nil
}

// Spent returns the guarantee of everything added so far, at delta.
func (a *Accountant) Spent(delta float64) (Budget, error) {
	return Epsilon(a.total, a.orders, delta)
}

// SpentAfter returns the guarantee that adding p would give, without adding it; training calls
// it before a step to stop before the budget is exceeded.
func (a *Accountant) SpentAfter(p Phase, delta float64) (Budget, error) {
	t, err := a.after(p)
	if err != nil {
		return Budget{}, err
	}
	return Epsilon(t, a.orders, delta)
}

// Phases returns the phases added so far, merged, for recording in a checkpoint.
func (a *Accountant) Phases() []Phase { return slices.Clone(a.phases) }

// Orders returns the orders the accountant minimises over.
func (a *Accountant) Orders() []float64 { return slices.Clone(a.orders) }
