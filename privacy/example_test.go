package privacy_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/raysynth/raysynth/privacy"
)

func ExampleParsePolicy() {
	p, err := privacy.ParsePolicy([]byte(`
version: 1
dcr:
  max_share_nearer_train: 0.51   # stricter than the default 0.52
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.DCR.MaxShareNearerTrain, p.Membership.MaxAUC, p.Memorization.Alpha)

	_, err = privacy.ParsePolicy([]byte("dcr:\n  max_share: 0.6\n"))
	fmt.Println(err != nil)
	// Output:
	// 0.51 0.55 0.5
	// true
}

func ExampleSearch() {
	refs := privacy.Vectors{Dim: 2, Data: []float32{0, 0, 1, 0, 0, 2, 5, 5}}
	queries := privacy.Vectors{Dim: 2, Data: []float32{0.9, 0.1, 4, 4}}
	nearest, _, err := privacy.Search(context.Background(), privacy.SearchConfig{Queries: queries, Refs: refs, K: 2, Rerank: 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	for q, ns := range nearest {
		fmt.Printf("query %d: ref %d at %.3f, ref %d at %.3f\n", q, ns[0].Index, ns[0].Dist, ns[1].Index, ns[1].Dist)
	}
	// Output:
	// query 0: ref 1 at 0.141, ref 0 at 0.906
	// query 1: ref 3 at 1.414, ref 2 at 4.472
}

// randomImage makes a 16×16 test image of random waves from a seed.
func randomImage(seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 7))
	px := make([]float32, 16*16)
	for range 6 {
		fx, fy, ph := rng.Float64(), rng.Float64(), rng.Float64()*6
		for y := range 16 {
			for x := range 16 {
				px[y*16+x] += float32(0.15 * math.Sin(fx*float64(x)+fy*float64(y)+ph))
			}
		}
	}
	return px
}

func ExampleEvaluate() {
	var sets privacy.Sets
	sets.Size = 16
	for i := range 12 {
		sets.Train = append(sets.Train, privacy.Sample{ID: fmt.Sprint("t", i), Class: "normal", Patient: fmt.Sprint("pt", i), Pixels: randomImage(uint64(i))})
		sets.Holdout = append(sets.Holdout, privacy.Sample{ID: fmt.Sprint("h", i), Class: "normal", Patient: fmt.Sprint("ph", i), Pixels: randomImage(uint64(100 + i))})
	}
	for i := range 6 {
		sets.Synthetic = append(sets.Synthetic, privacy.Sample{ID: fmt.Sprint("s", i), Class: "normal", Pixels: randomImage(uint64(200 + i))})
	}
	// a synthetic image that is a copy of training image t3
	sets.Synthetic = append(sets.Synthetic, privacy.Sample{ID: "s-copy", Class: "normal", Pixels: sets.Train[3].Pixels})

	ev, err := privacy.Evaluate(context.Background(), sets, privacy.EvalConfig{Policy: privacy.DefaultPolicy(), Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("passed:", ev.Passed)
	fmt.Println("flagged:", ev.Flagged)
	for _, c := range ev.Checks {
		if c.Name == "memorized_images" && c.Class == "" {
			fmt.Printf("%s: %v (must be %s %v)\n", c.ID(), c.Value, c.Rule, c.Threshold)
		}
	}
	for _, im := range ev.Images {
		if im.ID == "s-copy" {
			fmt.Println("s-copy nearest:", im.NearestTrain, "flags:", im.Flags)
		}
	}
	// Output:
	// passed: false
	// flagged: [s-copy]
	// pixel/memorized_images: 1 (must be <= 0)
	// s-copy nearest: t3 flags: [calibrated_ratio nndr near_exact]
}
