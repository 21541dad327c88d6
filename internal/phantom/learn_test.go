package phantom

import (
	"image"
	"math"
	"testing"
)

// standardised returns the image's pixels with zero mean and unit variance.
func standardised(img *image.Gray) []float64 {
	f := make([]float64, len(img.Pix))
	m := 0.0
	for i, p := range img.Pix {
		f[i] = float64(p)
		m += f[i]
	}
	m /= float64(len(f))
	v := 0.0
	for _, x := range f {
		v += (x - m) * (x - m)
	}
	sd := math.Sqrt(v/float64(len(f))) + 1e-9
	for i := range f {
		f[i] = (f[i] - m) / sd
	}
	return f
}

// The classes must be learnable at small sizes: even a nearest-centroid classifier on raw 32×32
// pixels tells phantoms of unseen patients apart far above chance (20%; 0.77 measured).
func TestClassesAreSeparableAtSmallSize(t *testing.T) {
	const size, train, test = 32, 45, 30
	centroids := make([][]float64, len(Classes))
	for c, class := range Classes {
		imgs, err := Sample(class, train, size, 100+uint64(c))
		if err != nil {
			t.Fatal(err)
		}
		centroids[c] = make([]float64, size*size)
		for _, img := range imgs {
			for i, x := range standardised(img) {
				centroids[c][i] += x / train
			}
		}
	}
	correct := 0
	for c, class := range Classes {
		imgs, _ := Sample(class, test, size, 900+uint64(c)) // other patients
		hits := 0
		for _, img := range imgs {
			f := standardised(img)
			best, bestD := 0, math.Inf(1)
			for k, cen := range centroids {
				d := 0.0
				for i := range f {
					d += (f[i] - cen[i]) * (f[i] - cen[i])
				}
				if d < bestD {
					best, bestD = k, d
				}
			}
			if best == c {
				hits++
			}
		}
		t.Logf("%s: %d/%d", class, hits, test)
		correct += hits
	}
	acc := float64(correct) / float64(test*len(Classes))
	t.Logf("nearest-centroid accuracy on unseen phantom patients: %.2f", acc)
	if acc < 0.6 {
		t.Errorf("nearest-centroid accuracy %.2f: classes are not clearly separable at %d×%d", acc, size, size)
	}
}
