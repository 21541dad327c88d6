package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/raysynth/raysynth/internal/rdp"
	"github.com/spf13/cobra"
)

type dpBudgetOptions struct {
	samplingRate float64
	noise        float64
	epsilon      float64
	steps        int
	delta        float64
	patients     int
	json         bool

	noiseSet, epsilonSet, deltaSet bool
}

func (o *dpBudgetOptions) addFlags(c *cobra.Command) {
	f := c.Flags()
	f.Float64Var(&o.samplingRate, "sampling-rate", 0, "q: probability that a patient is in a batch (Poisson sampling), in (0, 1]")
	f.Float64Var(&o.noise, "noise", 0, "σ: noise standard deviation divided by the clip norm; prints the ε it spends")
	f.Float64Var(&o.epsilon, "epsilon", 0, "target ε; prints the smallest noise that stays within it")
	f.IntVar(&o.steps, "steps", 0, "number of DP-SGD steps of the discriminator")
	f.Float64Var(&o.delta, "delta", 0, "δ in (0, 1); default 1/(10 × --patients)")
	f.IntVar(&o.patients, "patients", 0, "number of train patients: sets the default δ and warns when δ > 1/patients")
	f.BoolVar(&o.json, "json", false, "print JSON: epsilon, delta, order, noise, sampling_rate, steps")
}

func newDPBudgetCmd(g *globals) *cobra.Command {
	var o dpBudgetOptions
	c := &cobra.Command{
		Use:   "dp-budget --sampling-rate Q --steps N (--noise σ | --epsilon E) (--delta D | --patients P)",
		Short: "Plan a differential privacy budget: the ε a DP training run spends, or the noise for a target ε",
		Long: `dp-budget plans differentially private GAN training before it runs. DP-SGD samples each patient
into a batch with probability Q, clips each patient's gradient and adds Gaussian noise of σ times the
clip norm. With --noise it prints the ε that N such steps spend at δ, and the RDP order that gives
the bound; with --epsilon it prints the smallest noise σ (rounded up to 4 decimals) that stays
within that ε.

The accountant is Rényi DP for the sampled Gaussian mechanism (as in Opacus and TF Privacy), over
Opacus' orders 1.1 … 10.9 and 12 … 63, converted with the bound of Balle et al. 2020. Choose δ at
most 1/(10 × number of patients); --patients does that for you.`,
		Example: `  # ε spent by 2,000 steps sampling 1% of patients with noise 1.1
  raysynth dp-budget --sampling-rate 0.01 --noise 1.1 --steps 2000 --delta 1e-5
  # the noise needed for ε = 4 with 300 train patients (δ = 1/3000)
  raysynth dp-budget --sampling-rate 0.05 --steps 500 --epsilon 4 --patients 300
  # machine-readable
  raysynth dp-budget --sampling-rate 0.01 --noise 1.1 --steps 2000 --delta 1e-5 --json`,
		GroupID: groupTrain,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := cmd.Flags()
			o.noiseSet, o.epsilonSet, o.deltaSet = f.Changed("noise"), f.Changed("epsilon"), f.Changed("delta")
			if !f.Changed("sampling-rate") {
				return usageErrorf("--sampling-rate is required")
			}
			if !f.Changed("steps") {
				return usageErrorf("--steps is required")
			}
			return runDPBudget(cmd.Context(), g, o)
		},
	}
	o.addFlags(c)
	return c
}

func runDPBudget(_ context.Context, g *globals, o dpBudgetOptions) error {
	switch {
	case o.noiseSet && o.epsilonSet:
		return usageErrorf("give --noise or --epsilon, not both")
	case !o.noiseSet && !o.epsilonSet:
		return usageErrorf("give --noise (to get ε) or --epsilon (to get the noise)")
	case !(o.samplingRate > 0 && o.samplingRate <= 1):
		return usageErrorf("--sampling-rate must be in (0, 1], not %g", o.samplingRate)
	case o.steps <= 0:
		return usageErrorf("--steps must be > 0, not %d", o.steps)
	case o.noiseSet && !(o.noise > 0):
		return usageErrorf("--noise must be > 0, not %g (no noise means no privacy)", o.noise)
	case o.epsilonSet && !(o.epsilon > 0):
		return usageErrorf("--epsilon must be > 0, not %g", o.epsilon)
	case o.patients < 0:
		return usageErrorf("--patients must be > 0, not %d", o.patients)
	case !o.deltaSet && o.patients == 0:
		return usageErrorf("give --delta, or --patients to use δ = 1/(10 × patients)")
	}
	delta := o.delta
	if !o.deltaSet {
		delta = 1 / (10 * float64(o.patients))
	}
	if !(delta > 0 && delta < 1) {
		return usageErrorf("--delta must be in (0, 1), not %g", delta)
	}
	if o.patients > 0 && delta > 1/float64(o.patients) {
		fmt.Fprintf(g.stderr, "raysynth: warning: δ = %g is above 1/%d patients, which lets a whole patient leak; use at most %.3g\n", delta, o.patients, 1/(10*float64(o.patients)))
	}
	cfg := rdp.PlanConfig{SamplingRate: o.samplingRate, Steps: o.steps, Delta: delta, NoiseDecimals: 4}
	if o.noiseSet {
		cfg.Noise = o.noise
	} else {
		cfg.TargetEpsilon = o.epsilon
	}
	if err := cfg.Validate(); err != nil {
		return usageError{err}
	}
	res, err := rdp.Plan(cfg)
	if errors.Is(err, rdp.ErrUnreachable) {
		return withHint(err, "raise --epsilon or --delta: the ε–δ conversion has a floor that no amount of noise removes")
	}
	if err != nil {
		return fmt.Errorf("plan DP budget: %w", err)
	}
	if o.json {
		return g.printJSON(res)
	}
	if res.Calibrated {
		fmt.Fprintf(g.stdout, "noise %.4f keeps epsilon within %g: it spends epsilon %.4f at delta %.3g (best RDP order %g)\n",
			res.Noise, res.TargetEpsilon, res.Epsilon, res.Delta, res.Order)
	} else {
		fmt.Fprintf(g.stdout, "epsilon %.4f at delta %.3g (best RDP order %g)\n", res.Epsilon, res.Delta, res.Order)
	}
	fmt.Fprintf(g.stdout, "for %d steps at sampling rate %g with noise %g (accountant %s)\n", res.Steps, res.SamplingRate, res.Noise, res.Accountant)
	return nil
}
