package rdp_test

import (
	"fmt"

	"github.com/raysynth/raysynth/internal/rdp"
)

// Plan a budget before training: the ε spent by 1,000 steps at sampling rate 1% with noise
// multiplier 1.1, then the noise needed to stay within ε = 3.
func Example() {
	spent, err := rdp.Plan(rdp.PlanConfig{SamplingRate: 0.01, Steps: 1000, Delta: 1e-5, Noise: 1.1})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("sigma %.2f: epsilon %.3f at delta %g (order %g)\n", spent.Noise, spent.Epsilon, spent.Delta, spent.Order)

	need, err := rdp.Plan(rdp.PlanConfig{SamplingRate: 0.01, Steps: 1000, Delta: 1e-5, TargetEpsilon: 3, NoiseDecimals: 3})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("epsilon 3 needs sigma %.3f (spends %.3f)\n", need.Noise, need.Epsilon)
	// Output:
	// sigma 1.10: epsilon 1.712 at delta 1e-05 (order 9.6)
	// epsilon 3 needs sigma 0.865 (spends 2.996)
}

// Count a training run step by step and stop before the budget is exceeded.
func ExampleAccountant() {
	acc, _ := rdp.NewAccountant(nil)
	step := rdp.Phase{SamplingRate: 0.05, Noise: 1.0, Steps: 1}
	steps := 0
	for {
		next, _ := acc.SpentAfter(step, 1e-5)
		if next.Epsilon > 2 {
			break
		}
		_ = acc.Add(step)
		steps++
	}
	spent, _ := acc.Spent(1e-5)
	fmt.Printf("%d steps, epsilon %.3f, phases %+v\n", steps, spent.Epsilon, acc.Phases())
	// Output:
	// 6 steps, epsilon 1.984, phases [{SamplingRate:0.05 Noise:1 Steps:6}]
}
