package train

import (
	"context"
	"math/rand/v2"
	"runtime"
	"sync"
	"time"

	"github.com/raysynth/raysynth/internal/blas"
)

// Ceiling is the matrix-product rate this process reaches on large products, the yardstick the
// training step is measured against: one single-threaded 512×1,024×2,048 SGEMM per core in
// goroutines (the way `raysynth bench nn` and the engine run their products), repeated.
type Ceiling struct {
	GFLOPS       float64 `json:"gflops"`               // wall-clock rate, the median of the repetitions
	GFLOPPerCPUS float64 `json:"gflop_per_cpu_second"` // per second of user+system CPU time: less sensitive to other load
	Seconds      float64 `json:"seconds"`              // wall time of the measurement
}

// ceiling sizes: large enough for OpenBLAS's full rate, small enough (20 MB) not to move the
// benchmark's peak RSS much.
const (
	ceilRowsPerWorker = 512
	ceilN             = 1024
	ceilK             = 2048
	ceilReps          = 9
)

// gemmCeiling measures the matrix-product ceiling (about 0.25 s of work on 2 idle cores).
func gemmCeiling(ctx context.Context) (Ceiling, error) {
	blas.SetThreads(1)
	w := runtime.GOMAXPROCS(0)
	m := w * ceilRowsPerWorker
	rng := rand.New(rand.NewPCG(7, 7))
	a := make([]float32, m*ceilK)
	b := make([]float32, ceilN*ceilK)
	c := make([]float32, m*ceilN)
	for i := range a {
		a[i] = rng.Float32()*2 - 1
	}
	for i := range b {
		b[i] = rng.Float32()*2 - 1
	}
	flop := 2 * float64(m) * ceilN * ceilK
	run := func() {
		var wg sync.WaitGroup
		for i := 0; i < w; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				lo := i * ceilRowsPerWorker
				blas.Sgemm(false, true, ceilRowsPerWorker, ceilN, ceilK, 1, a[lo*ceilK:], ceilK, b, ceilK, 0, c[lo*ceilN:], ceilN)
			}()
		}
		wg.Wait()
	}
	run() // warm-up: page faults, OpenBLAS buffers
	var walls []float64
	start := time.Now()
	cpu0 := cpuTime()
	for i := 0; i < ceilReps; i++ {
		if err := ctx.Err(); err != nil {
			return Ceiling{}, err
		}
		t0 := time.Now()
		run()
		walls = append(walls, time.Since(t0).Seconds())
	}
	cpu := (cpuTime() - cpu0).Seconds()
	res := Ceiling{GFLOPS: flop / median(walls) / 1e9, Seconds: time.Since(start).Seconds()}
	if cpu > 0 {
		res.GFLOPPerCPUS = flop * ceilReps / cpu / 1e9
	}
	return res, nil
}
