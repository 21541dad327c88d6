package privacy

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"time"

	"github.com/raysynth/raysynth/internal/blas"
	"github.com/raysynth/raysynth/internal/progress"
	"github.com/raysynth/raysynth/internal/sysinfo"
)

// BenchConfig configures [BenchNN].
type BenchConfig struct {
	Queries, Refs, Dim int
	K                  int // neighbours kept per query (default 10)
	// Suite also times the whole check suite (Evaluate, pixel embedding, default policy) on
	// Queries random smooth 64×64 "synthetic" images against Refs training and Refs holdout ones.
	Suite bool
	// OneGEMM times one two-threaded OpenBLAS call per block instead of two single-threaded
	// halves in goroutines (see SearchConfig.OneGEMM).
	OneGEMM  bool
	Seed     uint64
	Progress progress.Reporter
}

// Validate checks the sizes.
func (c BenchConfig) Validate() error {
	switch {
	case c.Queries < 1 || c.Refs < 2 || c.Dim < 1:
		return fmt.Errorf("bench nn: queries, refs and dim must be positive (refs ≥ 2), got %d, %d, %d", c.Queries, c.Refs, c.Dim)
	case int64(c.Queries+c.Refs)*int64(c.Dim) > 2<<30:
		return fmt.Errorf("bench nn: %d×%d floats is more than 8 GiB", c.Queries+c.Refs, c.Dim)
	}
	return nil
}

// BenchResult holds the figures of one benchmark run.
type BenchResult struct {
	Queries    int    `json:"queries"`
	Refs       int    `json:"refs"`
	Dim        int    `json:"dim"`
	BLAS       string `json:"blas"`
	BLASCore   string `json:"blas_core"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	OneGEMM    bool   `json:"one_gemm"`
	// SearchSeconds is the wall time of the exact search (GEMM blocks, top-k, float64
	// re-rank); GFLOPS counts 2·queries·refs·dim floating-point operations in that time.
	SearchSeconds float64 `json:"search_seconds"`
	GFLOPS        float64 `json:"gflops"`
	// SuiteSeconds is the wall time of the full check suite (0 unless Suite).
	SuiteSeconds float64 `json:"suite_seconds,omitempty"`
	// PeakRSSBytes is the peak resident memory of the search; SuitePeakRSSBytes that of the
	// suite alone (its images, sets and searches), measured after the search's memory was freed.
	PeakRSSBytes      int64 `json:"peak_rss_bytes"`
	SuitePeakRSSBytes int64 `json:"suite_peak_rss_bytes,omitempty"`
}

// BenchNN times the exact nearest-neighbour search on random vectors and, with Suite, the whole
// check suite on random images.
func BenchNN(ctx context.Context, c BenchConfig) (*BenchResult, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if c.K <= 0 {
		c.K = 10
	}
	rep := progress.OrNop(c.Progress)
	rng := rand.New(rand.NewPCG(c.Seed, 1))
	randVec := func(n int) Vectors {
		v := Vectors{Dim: c.Dim, Data: make([]float32, n*c.Dim)}
		for i := range v.Data {
			v.Data[i] = rng.Float32()*2 - 1
		}
		return v
	}
	q, r := randVec(c.Queries), randVec(c.Refs)
	res := &BenchResult{Queries: c.Queries, Refs: c.Refs, Dim: c.Dim, BLAS: blas.Backend(), BLASCore: blas.CoreType(), GOMAXPROCS: runtime.GOMAXPROCS(0), OneGEMM: c.OneGEMM}
	task := rep.Start("exact search", int64(c.Queries)*int64(c.Refs), "pairs")
	t0 := time.Now()
	_, _, err := Search(ctx, SearchConfig{Queries: q, Refs: r, K: c.K, Rerank: 16, OneGEMM: c.OneGEMM, Task: task})
	task.Done()
	if err != nil {
		return nil, err
	}
	res.SearchSeconds = time.Since(t0).Seconds()
	res.GFLOPS = 2 * float64(c.Queries) * float64(c.Refs) * float64(c.Dim) / res.SearchSeconds / 1e9
	if c.Suite {
		const size = 64
		img := func(i int, class string, patient string) Sample {
			// a smooth random image: a few low-frequency waves plus a little noise, in 8 bits
			// like the workspace's PNG images
			px := make([]uint8, size*size)
			var fx, fy, ph [4]float64
			for k := range fx {
				fx[k], fy[k], ph[k] = rng.Float64()*0.3, rng.Float64()*0.3, rng.Float64()*2*math.Pi
			}
			for y := range size {
				for x := range size {
					v := 0.0
					for k := range fx {
						v += 0.2 * math.Sin(fx[k]*float64(x)+fy[k]*float64(y)+ph[k])
					}
					px[y*size+x] = uint8(math.Round(127.5 * (math.Max(-1, math.Min(1, v+0.05*rng.NormFloat64())) + 1)))
				}
			}
			return Sample{ID: fmt.Sprintf("%s%d", patient[:1], i), Class: class, Patient: patient, Gray: px}
		}
		classes := []string{"a", "b"}
		mk := func(n int, prefix string) []Sample {
			out := make([]Sample, n)
			for i := range out {
				p := ""
				if prefix != "s" {
					p = fmt.Sprintf("%s%d", prefix, i/2) // two films per patient
				}
				s := img(i, classes[i%2], prefix+p)
				if prefix == "s" {
					s.Patient = ""
				}
				out[i] = s
			}
			return out
		}
		res.PeakRSSBytes = sysinfo.PeakRSS()
		q, r = Vectors{}, Vectors{}
		sysinfo.ResetPeakRSS()
		sets := Sets{Size: size, Synthetic: mk(c.Queries, "s"), Train: mk(c.Refs, "t"), Holdout: mk(c.Refs, "h")}
		t1 := time.Now()
		if _, err := Evaluate(ctx, sets, EvalConfig{Policy: DefaultPolicy(), Seed: c.Seed, Progress: rep}); err != nil {
			return nil, err
		}
		res.SuiteSeconds = time.Since(t1).Seconds()
		res.SuitePeakRSSBytes = sysinfo.StagePeakRSS()
		return res, nil
	}
	res.PeakRSSBytes = sysinfo.PeakRSS()
	return res, nil
}
