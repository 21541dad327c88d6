package blas

import (
	"math/rand/v2"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// Ceiling is the matrix-product rate this machine reaches, float32 and bf16 measured side by
// side, the way the network engine calls them: the rows of one n×n×n product split over
// GOMAXPROCS goroutines, each making single-threaded calls.
//
// The CPU rates divide the work by the process's CPU time and multiply by GOMAXPROCS: what the
// cores would reach alone, less disturbed by other load than the wall-clock rates.
type Ceiling struct {
	N             int     `json:"n"`
	Workers       int     `json:"workers"`
	FP32GFLOPS    float64 `json:"fp32_gflops"`
	BF16GFLOPS    float64 `json:"bf16_gflops"`
	FP32CPUGFLOPS float64 `json:"fp32_cpu_gflops"`
	BF16CPUGFLOPS float64 `json:"bf16_cpu_gflops"`
	BF16          string  `json:"bf16_backend"`
	BF16HW        bool    `json:"bf16_hardware"`
}

// MeasureCeiling multiplies random n×n matrices reps times in each precision, alternating so
// that other load on the machine hits both alike, and keeps each precision's best rate.
// Call SetThreads(1) first when OpenBLAS should not start its own threads.
func MeasureCeiling(n, reps int) Ceiling {
	r := rand.New(rand.NewPCG(5, 6))
	a := make([]float32, n*n)
	b := make([]float32, n*n)
	c := make([]float32, n*n)
	for i := range a {
		a[i] = r.Float32()*2 - 1
		b[i] = r.Float32()*2 - 1
	}
	w := max(1, min(runtime.GOMAXPROCS(0), n))
	flop := 2 * float64(n) * float64(n) * float64(n) / 1e9
	run := func(f func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)) (wall, cpu float64) {
		c0 := cpuSeconds()
		t0 := time.Now()
		var wg sync.WaitGroup
		for i := 0; i < w; i++ {
			lo, hi := n*i/w, n*(i+1)/w
			wg.Add(1)
			go func() {
				defer wg.Done()
				f(false, false, hi-lo, n, n, 1, a[lo*n:], n, b, n, 0, c[lo*n:], n)
			}()
		}
		wg.Wait()
		return flop / time.Since(t0).Seconds(), flop * float64(w) / max(cpuSeconds()-c0, 1e-9)
	}
	res := Ceiling{N: n, Workers: w, BF16: BF16Backend(), BF16HW: HasBF16()}
	run(Sgemm) // warm-up: thread start-up, primitive creation, buffers
	run(GemmBF16)
	for range max(1, reps) {
		wall, cpu := run(Sgemm)
		res.FP32GFLOPS, res.FP32CPUGFLOPS = max(res.FP32GFLOPS, wall), max(res.FP32CPUGFLOPS, cpu)
		wall, cpu = run(GemmBF16)
		res.BF16GFLOPS, res.BF16CPUGFLOPS = max(res.BF16GFLOPS, wall), max(res.BF16CPUGFLOPS, cpu)
	}
	return res
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
