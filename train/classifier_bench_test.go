package train

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkClassifierStep times one training step (forward, backward, Adam) of the default
// classifier at 64×64, batch 32; img/s is reported. Run it on a quiet machine:
// go test -tags openblas -run '^$' -bench ClassifierStep ./train
func BenchmarkClassifierStep(b *testing.B) {
	const size, batch = 64, 32
	m := newCNN(DefaultClassifierArch(size, 3), rand.New(rand.NewPCG(1, 1)))
	tn, err := newTrainNet(m, batch, 1e-3)
	if err != nil {
		b.Fatal(err)
	}
	defer tn.close()
	rng := rand.New(rand.NewPCG(2, 2))
	for i := range tn.x {
		tn.x[i] = float32(rng.Float64()*2 - 1)
	}
	for i := range tn.targets.Labels {
		tn.targets.Labels[i] = i % 3
	}
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		if _, err := tn.step(uint64(i)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "img/s")
	// CPU time moves much less with other load on a shared machine than wall time does
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/step")
}

// BenchmarkClassifierEmbed times eval-mode inference (embedding and logits) at 64×64.
func BenchmarkClassifierEmbed(b *testing.B) {
	const size = 64
	m := newCNN(DefaultClassifierArch(size, 3), rand.New(rand.NewPCG(1, 1)))
	c := newClassifier(m, []string{"a", "b", "c"}, "bench")
	defer c.Close()
	imgs := make([][]float32, 256)
	for i := range imgs {
		imgs[i] = make([]float32, size*size)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Embed(b.Context(), imgs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(imgs)*b.N)/b.Elapsed().Seconds(), "img/s")
}
