package train

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestBenchGANTiny(t *testing.T) {
	res, err := BenchGAN(context.Background(), BenchConfig{Size: 16, Batch: 4, Steps: 2, GenBatches: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.SecondsPerStep <= 0 || res.GenImagesPerS <= 0 || res.GFLOPPerStep <= 0 || res.PeakRSSBytes <= 0 || len(res.StepSeconds) != 2 {
		t.Fatalf("implausible result %+v", res)
	}
}

// BenchmarkGANStep64 runs raysynth bench gan's measurement (6 timed D+G steps after set-up) per
// iteration; ns/op includes the set-up, s/step is the median step.
func BenchmarkGANStep64(b *testing.B) {
	var perStep []float64
	for b.Loop() {
		r, err := BenchGAN(context.Background(), BenchConfig{Size: 64, Batch: 64, Steps: 6, GenBatches: 6, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		perStep = append(perStep, r.SecondsPerStep)
	}
	slices.Sort(perStep)
	b.ReportMetric(perStep[len(perStep)/2], "s/step")
	b.ReportMetric(64/perStep[len(perStep)/2], "real-img/s")
}

func BenchmarkGenerate64(b *testing.B) {
	m := newDCGAN(DefaultArch(64), rand.New(rand.NewPCG(1, 2)))
	s, err := newSampler(m, 64)
	if err != nil {
		b.Fatal(err)
	}
	z := make([]float32, 64*ZDim)
	LatentZ(z, 1, 0, 64)
	for b.Loop() {
		if _, err := s.run(z); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(64*float64(b.N)/b.Elapsed().Seconds(), "img/s")
}
