package train

import (
	"fmt"
	"math"
	"sync"
)

// Thresholds of the sample check. A generator that makes one film whatever z is, or repeats a
// handful of training films, fails one of them; a diverse one passes both (measured on Kermany
// virus: a healthy plain DCGAN at 1,500 steps had 66 distinct nearest films among 500 samples
// of 104 training films, and its samples varied about as much as the films themselves).
const (
	// MinDistinctNearestShare: at least this share of min(samples, train films) must be distinct
	// nearest training films.
	MinDistinctNearestShare = 0.1
	// MinSpreadRatio: the samples' mean RMS difference must be at least this share of the
	// training films'.
	MinSpreadRatio = 0.25
)

// SampleCheck is what a class's fixed-z samples say about collapse: how many distinct training
// films are nearest to them (Pearson correlation of pixels) and how much they vary compared with
// the training films. summary.json carries it, for people and for the privacy report.
type SampleCheck struct {
	Samples         int      `json:"samples"`
	TrainFilms      int      `json:"train_films"`
	DistinctNearest int      `json:"distinct_nearest"`  // distinct training films nearest to a sample
	TopNearestShare float64  `json:"top_nearest_share"` // share of samples whose nearest film is the most common one
	SampleSpread    float64  `json:"sample_spread"`     // mean RMS difference between consecutive samples
	TrainSpread     float64  `json:"train_spread"`      // the same over the training films
	SpreadRatio     float64  `json:"spread_ratio"`
	Warnings        []string `json:"warnings,omitempty"`
}

// checkSamples compares n samples (pix values each) with the training films.
func checkSamples(samples []float32, n int, train filmSet, pix int) (SampleCheck, error) {
	nt := train.Len()
	sc := SampleCheck{Samples: n, TrainFilms: nt}
	if n < 2 || nt < 2 {
		return sc, nil
	}
	nearest, err := nearestByCorrelation(samples, n, train, pix)
	if err != nil {
		return sc, err
	}
	counts := map[int]int{}
	top := 0
	for _, j := range nearest {
		counts[j]++
		top = max(top, counts[j])
	}
	sc.DistinctNearest = len(counts)
	sc.TopNearestShare = float64(top) / float64(n)
	sc.SampleSpread = sampleSpread(samples, n, pix)
	m := min(nt, 256) // consecutive films of the (ID-sorted) training set
	first := make([]float32, m*pix)
	for i := range m {
		if _, err := train.Film(i, first[i*pix:(i+1)*pix]); err != nil {
			return sc, err
		}
	}
	sc.TrainSpread = sampleSpread(first, m, pix)
	if sc.TrainSpread > 0 {
		sc.SpreadRatio = sc.SampleSpread / sc.TrainSpread
	}
	need := int(math.Ceil(MinDistinctNearestShare * float64(min(n, nt))))
	if sc.DistinctNearest < need {
		sc.Warnings = append(sc.Warnings, fmt.Sprintf("few distinct nearest training films (%d samples have %d distinct nearest of %d training films, %.0f%% the same one; want at least %d): the generator repeats a few films (collapse)",
			n, sc.DistinctNearest, nt, 100*sc.TopNearestShare, need))
	}
	if sc.TrainSpread > 0 && sc.SpreadRatio < MinSpreadRatio {
		sc.Warnings = append(sc.Warnings, fmt.Sprintf("little diversity (samples differ %.2f× as much as training films; want at least %.2f×): partial collapse",
			sc.SpreadRatio, MinSpreadRatio))
	}
	return sc, nil
}

// correlationBlock is how many training films [nearestByCorrelation] normalises at a time: its
// memory is this many films, whatever the size of the training set.
const correlationBlock = 1024

// normalise writes into dst (k·pix values) the k images of src made zero-mean and unit-norm.
func normalise(dst, src []float32, k, pix int) {
	for i := 0; i < k; i++ {
		v := src[i*pix : (i+1)*pix]
		var s float64
		for _, x := range v {
			s += float64(x)
		}
		mean := s / float64(pix)
		var ss float64
		for _, x := range v {
			d := float64(x) - mean
			ss += d * d
		}
		inv := 0.0
		if ss > 0 {
			inv = 1 / math.Sqrt(ss)
		}
		o := dst[i*pix : (i+1)*pix]
		for j, x := range v {
			o[j] = float32((float64(x) - mean) * inv)
		}
	}
}

// nearestByCorrelation returns for each sample the index of the training film with the highest
// Pearson correlation of pixels (ties: the lowest index). It reads the training films in blocks
// of correlationBlock.
func nearestByCorrelation(samples []float32, n int, train filmSet, pix int) ([]int, error) {
	nt := train.Len()
	a := make([]float32, n*pix)
	normalise(a, samples, n, pix)
	bs := min(nt, correlationBlock)
	raw, b := make([]float32, bs*pix), make([]float32, bs*pix)
	out := make([]int, n)
	best := make([]float64, n)
	for i := range best {
		best[i] = math.Inf(-1)
	}
	for j0 := 0; j0 < nt; j0 += bs {
		k := min(bs, nt-j0)
		for j := range k {
			if _, err := train.Film(j0+j, raw[j*pix:(j+1)*pix]); err != nil {
				return nil, err
			}
		}
		normalise(b, raw, k, pix)
		var wg sync.WaitGroup
		for w := 0; w < 2; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < n; i += 2 {
					x := a[i*pix : (i+1)*pix]
					for j := 0; j < k; j++ {
						y := b[j*pix : (j+1)*pix]
						var s float32
						for q, v := range x {
							s += v * y[q]
						}
						if float64(s) > best[i] {
							best[i], out[i] = float64(s), j0+j
						}
					}
				}
			}()
		}
		wg.Wait()
	}
	return out, nil
}

// NearestTrainFilms returns for each sample the index of the training film most like it (Pearson
// correlation of pixels; all images of one size).
func NearestTrainFilms(samples, train [][]float32) []int {
	if len(samples) == 0 || len(train) == 0 {
		return nil
	}
	pix := len(samples[0])
	flat := func(v [][]float32) []float32 {
		out := make([]float32, 0, len(v)*pix)
		for _, x := range v {
			out = append(out, x...)
		}
		return out
	}
	near, _ := nearestByCorrelation(flat(samples), len(samples), flatFilms{flat(train), len(train)}, pix) // films in memory: no error
	return near
}
