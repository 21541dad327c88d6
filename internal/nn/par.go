package nn

import (
	"runtime"
	"sync"
)

// parallel runs f over [0,n) split into at most GOMAXPROCS contiguous ranges. Use it only where
// each index is computed independently of the split (no reductions across ranges).
func parallel(n int, f func(lo, hi int)) {
	w := min(runtime.GOMAXPROCS(0), n)
	if w <= 1 {
		if n > 0 {
			f(0, n)
		}
		return
	}
	var wg sync.WaitGroup
	for i := 0; i < w; i++ {
		lo, hi := n*i/w, n*(i+1)/w
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(lo, hi)
		}()
	}
	wg.Wait()
}

// reduceChunks is the fixed number of partial sums every reduction uses, whatever GOMAXPROCS is.
const reduceChunks = 16

// chunked runs f(p, lo, hi) for the reduceChunks fixed ranges of [0,n); the caller combines the
// per-chunk results in chunk order.
func chunked(n int, f func(p, lo, hi int)) {
	parallel(reduceChunks, func(p0, p1 int) {
		for p := p0; p < p1; p++ {
			f(p, n*p/reduceChunks, n*(p+1)/reduceChunks)
		}
	})
}

// scratch is one growing buffer shared by the operations, which run one at a time.
var scratch struct {
	mu  sync.Mutex
	buf []float32
}

func getScratch(n int) []float32 {
	scratch.mu.Lock()
	if cap(scratch.buf) < n {
		scratch.buf = make([]float32, n)
	}
	return scratch.buf[:n]
}

func putScratch() { scratch.mu.Unlock() }

// workerScratch returns GOMAXPROCS buffers of n floats each, carved from the shared scratch
// (release with putScratch).
func workerScratch(n int) [][]float32 {
	w := runtime.GOMAXPROCS(0)
	all := getScratch(w * n)
	bufs := make([][]float32, w)
	for i := range bufs {
		bufs[i] = all[i*n : (i+1)*n : (i+1)*n]
	}
	return bufs
}
