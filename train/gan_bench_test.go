package train

import (
	"context"
	"math/rand/v2"
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

func BenchmarkGANStep64(b *testing.B) {
	for b.Loop() {
		if _, err := BenchGAN(context.Background(), BenchConfig{Size: 64, Batch: 64, Steps: 6, GenBatches: 6, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGenerate64(b *testing.B) {
	m := newDCGAN(DefaultArch(64), rand.New(rand.NewPCG(1, 2)))
	s, err := newSampler(m, 64)
	if err != nil {
		b.Fatal(err)
	}
	z := make([]float32, 64*ZDim)
	LatentZ(z, 1, 0, 64)
	b.SetBytes(64) // MB/s reads as millions of images per second
	for b.Loop() {
		if _, err := s.run(z); err != nil {
			b.Fatal(err)
		}
	}
}
