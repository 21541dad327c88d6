package train

import (
	"fmt"
	"testing"

	"github.com/raysynth/raysynth/internal/sysinfo"
	"github.com/raysynth/raysynth/internal/workspace/wstest"
)

// BenchmarkTrainMemory reports the peak resident memory of one classifier epoch and of a short
// GAN run over 10,000 and 100,000 training films, to show that training memory does not grow with
// the number of films (issue 20: within 20% from 10,000 to 100,000). The films are tiny (32×32
// toy films written straight into a workspace): the benchmark is about memory, not quality or
// speed. Each run takes minutes; run it alone on a quiet machine:
//
//	go test -tags openblas -run '^$' -bench TrainMemory -benchtime 1x -timeout 2h ./train
func BenchmarkTrainMemory(b *testing.B) {
	const size = 32
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("films=%d", n), func(b *testing.B) {
			// class a holds n films (4 per patient) for the GAN; b a fixed 1,000 so the
			// classifier has two classes
			w := wstest.New(b, size, []wstest.ClassSpec{
				{Class: "a", Train: n / 4, FilmsPerPatient: 4},
				{Class: "b", Train: 250, FilmsPerPatient: 4},
			}, wstest.ToyRender, 1)
			b.ResetTimer()
			for range b.N {
				sysinfo.ResetPeakRSS()
				if _, err := TrainClassifier(b.Context(), ClassifierConfig{Workspace: w, Epochs: 1, Batch: DefaultClassifierBatch,
					LR: DefaultClassifierLR, Seed: 1, ValFraction: DefaultValidationFraction}); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(sysinfo.StagePeakRSS())/1e6, "classifier-peak-MB")
				sysinfo.ResetPeakRSS()
				if _, err := TrainGAN(b.Context(), GANConfig{Workspace: w, Classes: []string{"a"}, Steps: 20, Batch: 32, Size: size,
					LR: 2e-4, Beta1: 0.5, Seed: 1, CheckpointEvery: 1, MinImages: 8, Restart: true}); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(sysinfo.StagePeakRSS())/1e6, "gan-peak-MB")
			}
		})
	}
}
