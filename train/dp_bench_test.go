package train

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkDPStep compares a non-private D+G step on a batch of 16 films with a DP step on 16
// sampled patients: one film each, or 4 patients of 4 films (the same 16 real films).
func BenchmarkDPStep(b *testing.B) {
	for _, size := range []int{32, 64} {
		const batch = 16
		rng := rand.New(rand.NewPCG(1, 2))
		z := make([]float32, batch*ZDim)
		LatentZ(z, 1, 0, batch)
		b.Run(fmt.Sprintf("plain/size=%d", size), func(b *testing.B) {
			st, err := newStepper(newDCGAN(DefaultArch(size), rng), batch, 2e-4, 0.5, Recipe{Name: RecipeDCGAN})
			if err != nil {
				b.Fatal(err)
			}
			defer st.close()
			real := films(rng, batch, size)
			for b.Loop() {
				if _, _, err := st.step(real, z); err != nil {
					b.Fatal(err)
				}
			}
		})
		for _, per := range []int{1, 4} {
			b.Run(fmt.Sprintf("dp/size=%d/films-per-patient=%d", size, per), func(b *testing.B) {
				st, err := newDPStepper(newDCGAN(DefaultArch(size), rng), batch, 2e-4, 0.5, Recipe{Name: RecipeDCGAN}, 1, 0)
				if err != nil {
					b.Fatal(err)
				}
				defer st.close()
				var patients [][]float32
				for i := 0; i < batch/per; i++ {
					patients = append(patients, films(rng, per, size))
				}
				noise := rand.New(rand.NewChaCha8(*testSeed))
				for b.Loop() {
					if _, _, err := st.step(patients, z, float64(len(patients)), 1, noise); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
