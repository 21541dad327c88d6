package privacy

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
)

func TestExplore(t *testing.T) {
	if os.Getenv("EXPLORE") == "" {
		t.Skip()
	}
	set := os.Getenv("EXPLORE")
	imgs := loadShared(t, set, 64)
	seed, _ := strconv.Atoi(os.Getenv("SEED"))
	train, hold := splitPatients(imgs, 0.5, uint64(7+seed))
	sA, hB := splitPatients(hold, 0.5, uint64(8+seed))
	if os.Getenv("SWAP") != "" {
		sA, train = splitPatients(train, 0.5, 9)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	var leaks []realImage
	for _, lk := range leakKinds {
		if os.Getenv("NOLEAKS") != "" {
			break
		}
		for range 5 {
			src := train[rng.IntN(len(train))]
			leaks = append(leaks, realImage{file: lk.name + "-" + src.file, class: src.class, img: lk.make(src.img, rng)})
		}
	}
	sets := Sets{Size: 64, Synthetic: append(toSamples(sA, true), toSamples(leaks, true)...), Train: toSamples(train, false), Holdout: toSamples(hB, false)}
	ev, err := Evaluate(context.Background(), sets, EvalConfig{Policy: DefaultPolicy(), Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range ev.Checks {
		fmt.Printf("%-28s %-9s %8.4f %s %8.4f bound %8.4f %v n=%d %s\n", c.Name, c.Class, c.Value, c.Rule, c.Threshold, c.Bound, c.Passed, c.N, c.Note)
	}
	minL, minN, minD := 9.0, 9.0, 9.0
	for i, im := range ev.Images {
		if i < len(sA) {
			minL, minN, minD = min(minL, im.CalibratedRatio), min(minN, im.NNDR), min(minD, im.D1)
			if len(im.Flags) > 0 {
				fmt.Println("UNSEEN FLAGGED", im.ID, im.Flags, im.CalibratedRatio, im.NNDR, im.D1)
			}
		} else {
			fmt.Printf("%-50s l=%.3f nndr=%.3f d1=%.4f %v\n", im.ID, im.CalibratedRatio, im.NNDR, im.D1, im.Flags)
		}
	}
	fmt.Println("unseen min ratio", minL, "min nndr", minN, "min d1", minD, "S", len(sA), "T", len(train), "H", len(hB))
}
