package rdp

import (
	"errors"
	"fmt"
	"math"
)

// PlanConfig describes a DP-SGD run before it happens, at one sampling rate and noise level.
// Give exactly one of Noise (Plan reports the ε it spends) and TargetEpsilon (Plan finds the noise).
type PlanConfig struct {
	SamplingRate  float64   // q in (0, 1]
	Steps         int       // > 0
	Delta         float64   // in (0, 1)
	Noise         float64   // σ > 0, or 0 to calibrate for TargetEpsilon
	TargetEpsilon float64   // ε > 0, or 0 when Noise is given
	Orders        []float64 // nil means DefaultOrders
	// NoiseDecimals, when calibrating, puts the noise on a grid of this many decimals (0: no
	// rounding): the smallest grid value within the target, so that a printed σ used as is still
	// stays within it.
	NoiseDecimals int
}

// Validate reports a configuration Plan cannot work with.
func (c PlanConfig) Validate() error {
	switch {
	case !(c.SamplingRate > 0 && c.SamplingRate <= 1):
		return fmt.Errorf("sampling rate %g outside (0, 1]", c.SamplingRate)
	case c.Steps <= 0:
		return fmt.Errorf("step count %d must be > 0", c.Steps)
	case (c.Noise != 0) == (c.TargetEpsilon != 0):
		return errors.New("give exactly one of the noise multiplier and the target epsilon")
	case c.Noise != 0 && (!(c.Noise > 0) || math.IsInf(c.Noise, 1)):
		return fmt.Errorf("noise multiplier %g must be a finite number > 0", c.Noise)
	case c.TargetEpsilon != 0 && (!(c.TargetEpsilon > 0) || math.IsInf(c.TargetEpsilon, 1)):
		return fmt.Errorf("target epsilon %g must be a finite number > 0", c.TargetEpsilon)
	case c.NoiseDecimals < 0 || c.NoiseDecimals > 12:
		return fmt.Errorf("noise decimals %d outside [0, 12]", c.NoiseDecimals)
	}
	if err := validateDelta(c.Delta); err != nil {
		return err
	}
	if c.Orders != nil {
		return validateOrders(c.Orders)
	}
	return nil
}

// PlanResult is the outcome of [Plan]: the guarantee and the noise that gives it.
type PlanResult struct {
	Epsilon      float64 `json:"epsilon"`
	Delta        float64 `json:"delta"`
	Order        float64 `json:"order"`
	Noise        float64 `json:"noise"`
	SamplingRate float64 `json:"sampling_rate"`
	Steps        int     `json:"steps"`
	Calibrated   bool    `json:"calibrated"` // the noise was found for a target epsilon
	// TargetEpsilon is the target the noise was calibrated for (0 when not calibrated).
	TargetEpsilon float64 `json:"target_epsilon,omitempty"`
	Accountant    string  `json:"accountant"` // Version
}

// Plan reports the (ε, δ) spent by the configured run, first finding the noise for a target ε
// when one is given. A calibrated σ is the smallest (after rounding up) whose ε is at most the
// target.
func Plan(c PlanConfig) (PlanResult, error) {
	if err := c.Validate(); err != nil {
		return PlanResult{}, err
	}
	orders := c.Orders
	if orders == nil {
		orders = DefaultOrders()
	}
	res := PlanResult{Delta: c.Delta, SamplingRate: c.SamplingRate, Steps: c.Steps, Noise: c.Noise, Accountant: Version}
	if c.TargetEpsilon != 0 {
		sigma, _, err := CalibrateNoise(c.SamplingRate, c.Steps, c.Delta, c.TargetEpsilon, orders)
		if err != nil {
			return PlanResult{}, err
		}
		if c.NoiseDecimals > 0 {
			scale := math.Pow(10, float64(c.NoiseDecimals))
			sigma = math.Ceil(sigma*scale) / scale
			// Calibration stops a hair above the exact σ, so the grid value below may still do.
			if down := sigma - 1/scale; down > 0 {
				b, err := Spend([]Phase{{SamplingRate: c.SamplingRate, Noise: down, Steps: c.Steps}}, c.Delta, orders)
				if err != nil {
					return PlanResult{}, err
				}
				if b.Epsilon <= c.TargetEpsilon {
					sigma = math.Round(down*scale) / scale
				}
			}
		}
		res.Noise, res.Calibrated, res.TargetEpsilon = sigma, true, c.TargetEpsilon
	}
	b, err := Spend([]Phase{{SamplingRate: c.SamplingRate, Noise: res.Noise, Steps: c.Steps}}, c.Delta, orders)
	if err != nil {
		return PlanResult{}, err
	}
	res.Epsilon, res.Order = b.Epsilon, b.Order
	return res, nil
}
