package privacy

import (
	"context"
	"math/rand/v2"
	"testing"
)

// BenchmarkSearch times the exact search at 1,000 × 8,000 × 4,096 (reported MB/s is MFLOP/s).
// `raysynth bench nn` runs the full 10,000 × 20,000 × 4,096 case.
func BenchmarkSearch(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	q, r := randVectors(rng, 1000, 4096), randVectors(rng, 8000, 4096)
	b.SetBytes(2 * 1000 * 8000 * 4096)
	for b.Loop() {
		if _, _, err := Search(context.Background(), SearchConfig{Queries: q, Refs: r, K: 10, Rerank: 16}); err != nil {
			b.Fatal(err)
		}
	}
}
