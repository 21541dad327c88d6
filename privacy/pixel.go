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
//
// A pixelSet holds no copy of the images: it refers to the samples' pixels (8-bit when the
// samples have them, 4 KB per 64×64 image) and keeps per image only the crop's mean and
// inverse norm, the normalised crop's squared norm and the crop norms at every offset (about
// 220 bytes). Normalised crops are made block by block when the search asks for them, with the
// same float64 arithmetic as one pass over every image would use, so results do not depend on
// the block.
type pixelSet struct {
	size, shift, crop int
	f32               [][]float32 // per image, size² values in [-1, 1]; nil when u8 is set
	u8                [][]uint8   // per image, size² 8-bit values (v stands for v/127.5 − 1)
	mean, inv         []float64   // crop mean and 1/√(Σ(x−mean)²) (0 for a flat crop)
	norm              []float32   // squared norm of the normalised crop, as the search uses it
	sigma             []float64   // n × (2·shift+1)²: norm of the centred crop at each offset
}

// grayValue maps an 8-bit pixel to the float32 value imageio.ToFloat gives it.
var grayValue = func() (t [256]float32) {
	for v := range t {
		t[v] = float32(v)/127.5 - 1
	}
	return t
}()

func (p *pixelSet) offsets() int { return (2*p.shift + 1) * (2*p.shift + 1) }

func (p *pixelSet) count() int {
	if p.u8 != nil {
		return len(p.u8)
	}
	return len(p.f32)
}

func (p *pixelSet) width() int { return p.crop * p.crop }

func (p *pixelSet) sqNorms() []float32 { return p.norm }

// rawRow returns image i's size² float32 pixels, converted into buf (len ≥ size²) when the set
// holds 8-bit pixels.
func (p *pixelSet) rawRow(i int, buf []float32) []float32 {
	if p.u8 == nil {
		return p.f32[i]
	}
	buf = buf[:p.size*p.size]
	for k, v := range p.u8[i] {
		buf[k] = grayValue[v]
	}
	return buf
}

// vecRow writes image i's normalised centre crop (crop² values) to dst.
func (p *pixelSet) vecRow(i int, dst, scratch []float32) {
	img := p.rawRow(i, scratch)
	mean, inv := p.mean[i], p.inv[i]
	c, shift, size := p.crop, p.shift, p.size
	for y := 0; y < c; y++ {
		for x := 0; x < c; x++ {
			dst[y*c+x] = float32((float64(img[(y+shift)*size+x+shift]) - mean) * inv)
		}
	}
}

// block writes the normalised crops of images [i0, i1) to buf, on two goroutines.
func (p *pixelSet) block(i0, i1 int, buf []float32) []float32 {
	w := p.width()
	out := buf[:(i1-i0)*w]
	var wg sync.WaitGroup
	for g := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			scratch := make([]float32, p.size*p.size)
			for i := i0 + g; i < i1; i += 2 {
				p.vecRow(i, out[(i-i0)*w:(i-i0+1)*w], scratch)
			}
		}()
	}
	wg.Wait()
	return out
}

// newPixelSet prepares the pixel embedding of images: 8-bit pixels when every sample has them,
// else the float32 ones.
func newPixelSet(images []Sample, size, shift int) *pixelSet {
	c := size - 2*shift
	p := &pixelSet{size: size, shift: shift, crop: c}
	n := len(images)
	gray := n > 0
	for _, s := range images {
		if s.Gray == nil {
			gray = false
			break
		}
	}
	if gray {
		p.u8 = make([][]uint8, n)
		for i, s := range images {
			p.u8[i] = s.Gray
		}
	} else {
		p.f32 = make([][]float32, n)
		for i, s := range images {
			p.f32[i] = s.pixels()
		}
	}
	no := p.offsets()
	p.mean, p.inv, p.norm = make([]float64, n), make([]float64, n), make([]float32, n)
	p.sigma = make([]float64, n*no)
	var wg sync.WaitGroup
	for g := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ii := make([]float64, (size+1)*(size+1)) // integral image of x
			iq := make([]float64, (size+1)*(size+1)) // integral image of x²
			scratch := make([]float32, size*size)
			vec := make([]float32, c*c)
			for k := g; k < n; k += 2 {
				p.prepare(k, ii, iq, scratch, vec)
			}
		}()
	}
	wg.Wait()
	return p
}

// prepare computes image k's crop statistics, the squared norm of its normalised crop and its
// crop norms at every offset.
func (p *pixelSet) prepare(k int, ii, iq []float64, scratch, vec []float32) {
	size, shift, c := p.size, p.shift, p.crop
	img := p.rawRow(k, scratch)
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
	p.mean[k], p.inv[k] = mean, inv
	p.vecRow(k, vec, scratch)
	p.norm[k] = sqNorm(vec)
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
	no := p.offsets()
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

// subset returns the images idx of p, sharing their pixels.
func (p *pixelSet) subset(idx []int) *pixelSet {
	no := p.offsets()
	out := &pixelSet{size: p.size, shift: p.shift, crop: p.crop,
		mean: make([]float64, len(idx)), inv: make([]float64, len(idx)), norm: make([]float32, len(idx)),
		sigma: make([]float64, 0, len(idx)*no)}
	if p.u8 != nil {
		out.u8 = make([][]uint8, len(idx))
	} else {
		out.f32 = make([][]float32, len(idx))
	}
	for k, i := range idx {
		if p.u8 != nil {
			out.u8[k] = p.u8[i]
		} else {
			out.f32[k] = p.f32[i]
		}
		out.mean[k], out.inv[k], out.norm[k] = p.mean[i], p.inv[i], p.norm[i]
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
	type bufs struct{ canvas, qc, scratch []float32 }
	pool := sync.Pool{New: func() any {
		return &bufs{canvas: make([]float32, no*size*size), qc: make([]float32, c*c), scratch: make([]float32, size*size)}
	}}
	gathers := sync.Pool{New: func() any { b := make([]float32, 0, 16*size*size); return &b }}
	return func(qi int, rjs []int, out []float64) {
		n := len(rjs)
		// every canvas of this pool has zeros outside the crop windows, which each query
		// overwrites completely: no clearing needed
		b := pool.Get().(*bufs)
		defer pool.Put(b)
		canvas, qc := b.canvas, b.qc
		q.vecRow(qi, qc, b.scratch)
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
			*g = append(*g, r.rawRow(j, b.scratch)...)
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
			rr := (*g)[p*size*size : (p+1)*size*size]
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
