package train

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/raysynth/raysynth/internal/blas"
	"github.com/raysynth/raysynth/internal/nn"
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
func BenchmarkGANStep64(b *testing.B) { benchGANStep(b, 64, nn.FP32) }

// BenchmarkGANStep runs the same measurement at batch 32 and 64 in both precisions (bf16 only
// where it runs at hardware speed), with CPU seconds per step: the figure to compare on a shared
// machine, and the one to profile (-cpuprofile).
func BenchmarkGANStep(b *testing.B) {
	for _, batch := range []int{32, 64} {
		for _, p := range []Precision{nn.FP32, nn.BF16} {
			b.Run(fmt.Sprintf("batch%d/%v", batch, p), func(b *testing.B) {
				if p == nn.BF16 && !blas.HasBF16() {
					b.Skip("bf16 does not run at hardware speed here")
				}
				benchGANStep(b, batch, p)
			})
		}
	}
}

func benchGANStep(b *testing.B, batch int, p Precision) {
	var perStep, cpu []float64
	for b.Loop() {
		r, err := BenchGAN(context.Background(), BenchConfig{Size: 64, Batch: batch, Steps: 6, GenBatches: 6, Seed: 1, Precision: p})
		if err != nil {
			b.Fatal(err)
		}
		perStep = append(perStep, r.SecondsPerStep)
		cpu = append(cpu, r.CPUPerStep)
	}
	slices.Sort(perStep)
	slices.Sort(cpu)
	b.ReportMetric(perStep[len(perStep)/2], "s/step")
	b.ReportMetric(cpu[len(cpu)/2], "cpu-s/step")
	b.ReportMetric(float64(batch)/perStep[len(perStep)/2], "real-img/s")
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
