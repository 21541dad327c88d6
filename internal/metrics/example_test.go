package metrics_test

import (
	"fmt"

	"github.com/raysynth/raysynth/internal/metrics"
)

func ExampleEvaluatePredictions() {
	truth := []int{0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2}
	pred := []int{0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 1, 1, 2}
	res, err := metrics.EvaluatePredictions(metrics.Config{Classes: []string{"normal", "bacteria", "virus"}, MinSupport: 5}, truth, pred)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range res.PerClass {
		fmt.Printf("%-8s n=%d sensitivity %s specificity %s\n", c.Class, c.Support, c.Sensitivity.Format(2), c.Specificity.Format(2))
	}
	fmt.Printf("accuracy %s, balanced accuracy %s without %v\n", res.Accuracy.Format(2), res.BalancedAccuracy.Format(2), res.Excluded)
	// Output:
	// normal   n=6 sensitivity 0.83 specificity 0.88
	// bacteria n=6 sensitivity 0.83 specificity 0.75
	// virus    n=2 sensitivity n/a specificity 1.00
	// accuracy 0.79, balanced accuracy 0.83 without [virus]
}
