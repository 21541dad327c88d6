package privacy

import (
	"math"
	"sync"

	"github.com/raysynth/raysynth/internal/blas"
)

// pixelSet is the pixel embedding of a set of images. The vectors searched are the centre crops
// (size−2·shift)² made zero-mean and unit-norm, so a linear change of contrast or brightness does
// not change them; the distance used after re-ranking is shift-tolerant:
//
//	d(a, b) = √(2 − 2·max_s ρ(crop₀(a), crop_s(b)))
//
// where s ranges over the (2·shift+1)² offsets of at most shift pixels in x and y and ρ is the
// Pearson correlation, i.e. the Euclidean distance between the normalised crops at the best
// alignment. It is 0 for a copy, whatever its contrast or its shift of up to shift pixels.
type pixelSet struct {
	size, shift, crop int
	raw               Vectors   // n × size², values in [-1, 1]
	vec               Vectors   // n × crop², normalised centre crops
	sigma             []float64 // n × (2·shift+1)²: norm of the centred crop at each offset
}

func (p *pixelSet) offsets() int { return (2*p.shift + 1) * (2*p.shift + 1) }

func newPixelSet(images [][]float32, size, shift int) *pixelSet {
	c := size - 2*shift
	p := &pixelSet{size: size, shift: shift, crop: c}
	n := len(images)
	p.raw = Vectors{Dim: size * size, Data: make([]float32, 0, n*size*size)}
	p.vec = Vectors{Dim: c * c, Data: make([]float32, n*c*c)}
	no := p.offsets()
	p.sigma = make([]float64, n*no)
	ii := make([]float64, (size+1)*(size+1)) // integral image of x
	iq := make([]float64, (size+1)*(size+1)) // integral image of x²
	for k, img := range images {
		p.raw.Data = append(p.raw.Data, img...)
		// normalised centre crop, in float64
		dst := p.vec.Row(k)
		var sum float64
		for y := 0; y < c; y++ {
			for x := 0; x < c; x++ {
				sum += float64(img[(y+shift)*size+x+shift])
			}
		}
		mean := sum / float64(c*c)
		var ss float64
		for y := 0; y < c; y++ {
			for x := 0; x < c; x++ {
				d := float64(img[(y+shift)*size+x+shift]) - mean
				ss += d * d
			}
		}
		inv := 0.0
		if ss > 0 {
			inv = 1 / math.Sqrt(ss)
		}
		for y := 0; y < c; y++ {
			for x := 0; x < c; x++ {
				dst[y*c+x] = float32((float64(img[(y+shift)*size+x+shift]) - mean) * inv)
			}
		}
		// integral images for the crop norms at every offset
		w := size + 1
		for y := 0; y < size; y++ {
			var rs, rq float64
			for x := 0; x < size; x++ {
				v := float64(img[y*size+x])
				rs += v
				rq += v * v
				ii[(y+1)*w+x+1] = ii[y*w+x+1] + rs
				iq[(y+1)*w+x+1] = iq[y*w+x+1] + rq
			}
		}
		o := 0
		for oy := -shift; oy <= shift; oy++ {
			for ox := -shift; ox <= shift; ox++ {
				y0, x0 := shift+oy, shift+ox
				y1, x1 := y0+c, x0+c
				s := ii[y1*w+x1] - ii[y0*w+x1] - ii[y1*w+x0] + ii[y0*w+x0]
				q := iq[y1*w+x1] - iq[y0*w+x1] - iq[y1*w+x0] + iq[y0*w+x0]
				p.sigma[k*no+o] = math.Sqrt(math.Max(0, q-s*s/float64(c*c)))
				o++
			}
		}
	}
	return p
}

// subset returns the images idx of p.
func (p *pixelSet) subset(idx []int) *pixelSet {
	no := p.offsets()
	out := &pixelSet{size: p.size, shift: p.shift, crop: p.crop,
		raw:   Vectors{Dim: p.raw.Dim, Data: make([]float32, 0, len(idx)*p.raw.Dim)},
		vec:   Vectors{Dim: p.vec.Dim, Data: make([]float32, 0, len(idx)*p.vec.Dim)},
		sigma: make([]float64, 0, len(idx)*no)}
	for _, i := range idx {
		out.raw.Data = append(out.raw.Data, p.raw.Row(i)...)
		out.vec.Data = append(out.vec.Data, p.vec.Row(i)...)
		out.sigma = append(out.sigma, p.sigma[i*no:(i+1)*no]...)
	}
	return out
}

// tolerantExact returns the shift-tolerant distance from images of q to images of r: the
// correlations at every offset come from one small SGEMM per query (the query's normalised crop
// placed at each offset on a blank canvas, times the candidates' raw images), and the best
// offset's correlation is then recomputed in float64.
func tolerantExact(q, r *pixelSet) ExactFunc {
	size, c, sh := q.size, q.crop, q.shift
	no := q.offsets()
	canvases := sync.Pool{New: func() any { b := make([]float32, no*size*size); return &b }}
	gathers := sync.Pool{New: func() any { b := make([]float32, 0, 16*size*size); return &b }}
	return func(qi int, rjs []int, out []float64) {
		n := len(rjs)
		// every canvas of this pool has zeros outside the crop windows, which each query
		// overwrites completely: no clearing needed
		cp := canvases.Get().(*[]float32)
		defer canvases.Put(cp)
		canvas := *cp
		qc := q.vec.Row(qi)
		o := 0
		for oy := -sh; oy <= sh; oy++ {
			for ox := -sh; ox <= sh; ox++ {
				cv := canvas[o*size*size : (o+1)*size*size]
				for y := 0; y < c; y++ {
					copy(cv[(y+sh+oy)*size+sh+ox:(y+sh+oy)*size+sh+ox+c], qc[y*c:(y+1)*c])
				}
				o++
			}
		}
		g := gathers.Get().(*[]float32)
		defer gathers.Put(g)
		*g = (*g)[:0]
		for _, j := range rjs {
			*g = append(*g, r.raw.Row(j)...)
		}
		dots := make([]float32, no*n)
		blas.Sgemm(false, true, no, n, size*size, 1, canvas, size*size, *g, size*size, 0, dots, n)
		for p, j := range rjs {
			best, bo := -2.0, 0
			for o := range no {
				s := r.sigma[j*no+o]
				if s == 0 {
					continue
				}
				if v := float64(dots[o*n+p]) / s; v > best {
					best, bo = v, o
				}
			}
			if best == -2 {
				out[p] = math.Sqrt2
				continue
			}
			// exact float64 correlation at the best offset
			oy, ox := bo/(2*sh+1)-sh, bo%(2*sh+1)-sh
			rr := r.raw.Row(j)
			var d float64
			for y := 0; y < c; y++ {
				row := rr[(y+sh+oy)*size+sh+ox : (y+sh+oy)*size+sh+ox+c]
				qrow := qc[y*c : (y+1)*c]
				for x, v := range row {
					d += float64(qrow[x]) * float64(v)
				}
			}
			rho := d / r.sigma[j*no+bo]
			out[p] = math.Sqrt(math.Max(0, 2-2*rho))
		}
	}
}
