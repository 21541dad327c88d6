package train

import (
	"context"
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
