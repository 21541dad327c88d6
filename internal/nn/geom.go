package nn

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/raysynth/raysynth/internal/blas"
)

// geom describes a strided convolution between a "big" NHWC map (B, H, W, C) and a "small" one
// (B, Ho, Wo, Cs), with a K×K kernel, stride S and padding P. A convolution maps big to small, a
// transposed convolution small to big; both share im2col and col2im.
type geom struct {
	B, H, W, C int
	Ho, Wo, Cs int
	K, S, P    int
	ySpan      []int // per big row: first and last small row covering it (col2im)
	xSpan      []int
}

func newGeom(b, h, w, c, cs, k, s, p int) (geom, error) {
	if k <= 0 || s <= 0 || p < 0 {
		return geom{}, fmt.Errorf("nn: bad kernel %d, stride %d, padding %d", k, s, p)
	}
	ho := (h+2*p-k)/s + 1
	wo := (w+2*p-k)/s + 1
	if ho <= 0 || wo <= 0 || b <= 0 || c <= 0 || cs <= 0 {
		return geom{}, fmt.Errorf("nn: bad convolution %dx%dx%d (batch %d) kernel %d stride %d padding %d", h, w, c, b, k, s, p)
	}
	g := geom{B: b, H: h, W: w, C: c, Ho: ho, Wo: wo, Cs: cs, K: k, S: s, P: p}
	g.ySpan = spans(h, ho, k, s, p)
	g.xSpan = spans(w, wo, k, s, p)
	return g, nil
}

func (g geom) kkc() int { return g.K * g.K * g.C }

// shape is g as the convolution library names it.
func (g geom) shape() blas.ConvShape {
	return blas.ConvShape{B: g.B, H: g.H, W: g.W, C: g.C, Ho: g.Ho, Wo: g.Wo, Cs: g.Cs, K: g.K, S: g.S, P: g.P}
}
func (g geom) smallRows() int { return g.Ho * g.Wo } // rows per sample
func (g geom) bigLen() int    { return g.H * g.W * g.C }
func (g geom) flops() int64 {
	return 2 * int64(g.B) * int64(g.smallRows()) * int64(g.kkc()) * int64(g.Cs)
}

// im2col fills cols (rows r0..r1 of the batch's im2col matrix, relative row 0 = r0) from big.
func (g geom) im2col(big, cols []float32, r0, r1 int) { kIm2col(g, big, cols, r0, r1) }

func (g geom) goIm2col(big, cols []float32, r0, r1 int) {
	kc := g.K * g.C
	rowLen := g.kkc()
	for r := r0; r < r1; r++ {
		ox := r % g.Wo
		t := r / g.Wo
		oy := t % g.Ho
		b := t / g.Ho
		dst := cols[(r-r0)*rowLen : (r-r0+1)*rowLen]
		for ky := 0; ky < g.K; ky++ {
			iy := oy*g.S - g.P + ky
			d := dst[ky*kc : (ky+1)*kc]
			if iy < 0 || iy >= g.H {
				clear(d)
				continue
			}
			rowBase := (b*g.H + iy) * g.W
			if g.C == 1 {
				for kx := 0; kx < g.K; kx++ {
					ix := ox*g.S - g.P + kx
					if ix < 0 || ix >= g.W {
						d[kx] = 0
					} else {
						d[kx] = big[rowBase+ix]
					}
				}
				continue
			}
			for kx := 0; kx < g.K; kx++ {
				ix := ox*g.S - g.P + kx
				dd := d[kx*g.C : (kx+1)*g.C]
				if ix < 0 || ix >= g.W {
					clear(dd)
					continue
				}
				copy(dd, big[(rowBase+ix)*g.C:(rowBase+ix+1)*g.C])
			}
		}
	}
}

// col2im writes sample b of big (overwriting it) as the sum of the im2col rows of that sample;
// cols holds rows starting at row r0 of the batch. It gathers: each output pixel sums the few
// (kernel tap, output position) pairs that cover it and is written once, which costs much less
// memory traffic than scattering every row into a cleared output.
func (g geom) col2im(cols, big []float32, b, r0 int) { kCol2im(g, cols, big, b, r0) }

func (g geom) goCol2im(cols, big []float32, b, r0 int) {
	out := big[b*g.bigLen() : (b+1)*g.bigLen()]
	rowLen := g.kkc()
	kc := g.K * g.C
	c := g.C
	for iy := 0; iy < g.H; iy++ {
		oy0, oy1 := g.ySpan[2*iy], g.ySpan[2*iy+1]
		for ix := 0; ix < g.W; ix++ {
			ox0, ox1 := g.xSpan[2*ix], g.xSpan[2*ix+1]
			if c == 1 {
				var s float32
				for oy := oy0; oy <= oy1; oy++ {
					base := ((b*g.Ho+oy)*g.Wo-r0)*rowLen + (iy+g.P-oy*g.S)*kc + ix + g.P
					for ox := ox0; ox <= ox1; ox++ {
						s += cols[base+ox*(rowLen-g.S)]
					}
				}
				out[iy*g.W+ix] = s
				continue
			}
			dst := out[(iy*g.W+ix)*c : (iy*g.W+ix+1)*c]
			var offs [4]int
			n := 0
			for oy := oy0; oy <= oy1; oy++ {
				base := ((b*g.Ho+oy)*g.Wo-r0)*rowLen + (iy+g.P-oy*g.S)*kc + (ix+g.P)*c
				for ox := ox0; ox <= ox1; ox++ {
					off := base + ox*(rowLen-g.S*c) // row ox, tap kx = ix+P-ox·S
					if n < len(offs) {
						offs[n] = off
					} else { // more than 4 taps cover this pixel (kernel > 2·stride): add as we go
						if n == len(offs) {
							sum4(dst, cols[offs[0]:offs[0]+c], cols[offs[1]:offs[1]+c], cols[offs[2]:offs[2]+c], cols[offs[3]:offs[3]+c])
						}
						addTo(dst, cols[off:off+c])
					}
					n++
				}
			}
			// The sums run in the same (oy, ox) order whatever the count, so results are bit
			// for bit those of adding the taps one by one.
			switch n {
			case 0:
				clear(dst)
			case 1:
				copy(dst, cols[offs[0]:offs[0]+c])
			case 2:
				sum2(dst, cols[offs[0]:offs[0]+c], cols[offs[1]:offs[1]+c])
			case 3:
				sum2(dst, cols[offs[0]:offs[0]+c], cols[offs[1]:offs[1]+c])
				addTo(dst, cols[offs[2]:offs[2]+c])
			case 4:
				sum4(dst, cols[offs[0]:offs[0]+c], cols[offs[1]:offs[1]+c], cols[offs[2]:offs[2]+c], cols[offs[3]:offs[3]+c])
			}
		}
	}
}

// spans returns, for each of n big-side positions i, the first and last small-side positions o
// with 0 ≤ i+P-o·S < K (clipped to [0, m)).
func spans(n, m, k, s, p int) []int {
	out := make([]int, 2*n)
	for i := 0; i < n; i++ {
		num := i + p - k + 1
		lo := 0
		if num > 0 {
			lo = (num + s - 1) / s
		}
		out[2*i], out[2*i+1] = lo, min(m-1, (i+p)/s)
	}
	return out
}

// addTo adds src to dst element-wise (unrolled: Go does not vectorise this loop).
func addTo(dst, src []float32) {
	src = src[:len(dst)]
	i := 0
	for ; i+8 <= len(dst); i += 8 {
		d := dst[i : i+8 : i+8]
		s := src[i : i+8 : i+8]
		d[0] += s[0]
		d[1] += s[1]
		d[2] += s[2]
		d[3] += s[3]
		d[4] += s[4]
		d[5] += s[5]
		d[6] += s[6]
		d[7] += s[7]
	}
	for ; i < len(dst); i++ {
		dst[i] += src[i]
	}
}

// sum2 writes dst = a + b in one pass.
func sum2(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] + b[i]
	}
}

// sum4 writes dst = ((a + b) + c) + d in one pass: the four taps of a stride-2, 4×4 transposed
// convolution, one write per output instead of a copy and three read-modify-writes.
func sum4(dst, a, b, c, d []float32) {
	a, b, c, d = a[:len(dst)], b[:len(dst)], c[:len(dst)], d[:len(dst)]
	for i := range dst {
		dst[i] = a[i] + b[i] + c[i] + d[i]
	}
}

// bf16Cols makes the bf16 products of conv and filterGrad take im2col rows written directly in
// bfloat16 (C kernels) instead of rounding float32 rows in the product; tests turn it off to
// compare.
var bf16Cols = true

// im2colBF16 writes im2col rows r0..r1 of big in bfloat16: gathered from big's valid bf16 copy
// when there is one, converted from big otherwise (the same bits).
func (g geom) im2colBF16(big []float32, c *blas.BF16Copy, cols []uint16, r0, r1 int) {
	if b16 := validBits(c); b16 != nil {
		kIm2colH(g, b16, cols, r0, r1)
		return
	}
	kIm2col16(g, big, cols, r0, r1)
}

// validBits returns a copy's values when it is valid, nil otherwise (or when c is nil).
func validBits(c *blas.BF16Copy) []uint16 {
	if c == nil || !c.Valid {
		return nil
	}
	return c.Bits()
}

// halves views a float32 buffer as twice as many uint16 values (bfloat16 im2col rows).
func halves(f []float32) []uint16 {
	if len(f) == 0 {
		return nil
	}
	return unsafe.Slice((*uint16)(unsafe.Pointer(&f[0])), 2*len(f))
}

// smallTileFloats bounds the per-worker im2col buffer of conv and convT (1 MB): a tile of samples
// is expanded, multiplied and folded back while it is still in the core's cache.
var smallTileFloats = 256 << 10

// forTiles runs f(worker, b0, b1) over tiles of samples, handing tiles to GOMAXPROCS workers as
// they become free; every tile writes its own part of the output, so results do not depend on
// which worker ran it.
func (g geom) forTiles(f func(worker, b0, b1 int)) {
	per := max(1, min(g.B, smallTileFloats/(g.smallRows()*g.kkc())))
	tiles := (g.B + per - 1) / per
	var next atomic.Int64
	workers := min(runtime.GOMAXPROCS(0), tiles)
	var wg sync.WaitGroup
	for wk := 0; wk < workers; wk++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				t := int(next.Add(1)) - 1
				if t >= tiles {
					return
				}
				f(wk, t*per, min(g.B, (t+1)*per))
			}
		}()
	}
	wg.Wait()
}

// convLib makes conv, convT and filterGrad run through the convolution library when the build
// has one (oneDNN, `dnnl` tag): up to 70% less CPU time than im2col and per-tile products on
// the DCGAN's layers, fp32 and bf16 (docs/results/engine/onednn-conv.md). Tests turn it off to
// compare the two paths.
var convLib = true

// lib runs one pass through the convolution library and reports whether it did. Where oneDNN
// measured slower than im2col and per-tile products with both cores busy (BenchmarkGeom), the
// pass stays on the products: the transposed convolution onto a single channel (the generator's
// image layer: oneDNN's backward-data kernel for it is no faster), and on layers whose small side
// has at most 16 pixels (the DCGAN's 8×8 ↔ 4×4 layer) every bf16 pass (+14–59% CPU time) and the
// fp32 weight gradient (+3–14%); see libPass for the bf16 weight gradient of the 16×16 ↔ 8×8 layer.
func (g geom) lib(pass blas.ConvPass, p Precision, big, small, w []float32, cp blas.ConvCopies) bool {
	if !g.libPass(pass, p) {
		return false
	}
	return blas.Conv(pass, g.shape(), p == BF16, big, small, w, cp, parallel)
}

// convTPhases makes fp32 transposed convolutions with a 4×4 kernel, stride 2 and padding 1 run as
// four stride-1 2×2 forward convolutions (oneDNN's brgemm kernel) instead of oneDNN's
// backward-data kernel: 13–29% less time per layer on one core (docs/results/engine/copies.md).
// Tests turn it off to compare.
var convTPhases = true

// phases runs an fp32 transposed convolution through blas.ConvTPhases where it applies (more than
// one output channel: the one-channel layer has its own loop) and reports whether it did.
func (g geom) phases(p Precision, small, w, big []float32) bool {
	if p != FP32 || !convLib || !convTPhases || g.C == 1 {
		return false
	}
	return blas.ConvTPhases(g.shape(), big, small, w, parallel)
}

// libPass reports whether a pass in p goes to the convolution library (when the build has one).
// The bf16 weight gradient of layers whose small side has at most 64 pixels (the DCGAN's
// 16×16 ↔ 8×8 layer) stays on the products too: gathering its im2col rows from the bfloat16 copy
// of the input costs less than oneDNN's transposes (bench gan bf16 batch 64: fastest step
// 0.0774–0.0833 s → 0.0760–0.0776 s over 4 alternating rounds, session 10).
func (g geom) libPass(pass blas.ConvPass, p Precision) bool {
	if !convLib || (pass == blas.ConvBackwardData && g.C == 1) {
		return false
	}
	if p == BF16 && pass == blas.ConvBackwardWeights && g.Ho*g.Wo <= 64 {
		return false
	}
	return g.Ho*g.Wo > 16 || (p != BF16 && pass != blas.ConvBackwardWeights)
}

// conv computes small = conv(big, w) with w of shape (K·K·C, Cs). cp.Big, if not nil, is a
// bf16 copy of big that the library pass reads when valid or fills (see [blas.Conv]).
func (g geom) conv(p Precision, big, w, small []float32, cp blas.ConvCopies) {
	if g.lib(blas.ConvForward, p, big, small, w, cp) {
		return
	}
	rowLen := g.kkc()
	per := g.smallRows()
	bufs := workerScratch(min(g.B, max(1, smallTileFloats/(per*rowLen))) * per * rowLen)
	defer putScratch()
	wb := p.weights(false, rowLen, g.Cs, w, g.Cs)
	g.forTiles(func(wk, b0, b1 int) {
		r0, r1 := b0*per, b1*per
		if wb != nil && cKernels && bf16Cols { // im2col straight to bfloat16: no float32 copy to round
			cols := halves(bufs[wk])[:(r1-r0)*rowLen]
			g.im2colBF16(big, cp.Big, cols, r0, r1)
			blas.GemmBF16AB(false, r1-r0, g.Cs, rowLen, cols, wb, 0, small[r0*g.Cs:], g.Cs)
			return
		}
		cols := bufs[wk][:(r1-r0)*rowLen]
		g.im2col(big, cols, r0, r1)
		p.sgemmW(false, false, r1-r0, g.Cs, rowLen, cols, rowLen, w, g.Cs, wb, 0, small[r0*g.Cs:], g.Cs)
	})
}

// convT computes big = convᵀ(small, w): the adjoint of conv with the same weights (cp.Small: a
// bf16 copy of small, as in conv).
func (g geom) convT(p Precision, small, w, big []float32, cp blas.ConvCopies) {
	if g.phases(p, small, w, big) || g.lib(blas.ConvBackwardData, p, big, small, w, cp) || g.convT1(p, small, w, big) {
		return
	}
	rowLen := g.kkc()
	per := g.smallRows()
	bufs := workerScratch(min(g.B, max(1, smallTileFloats/(per*rowLen))) * per * rowLen)
	defer putScratch()
	wb := p.weights(true, g.Cs, rowLen, w, g.Cs)
	s16 := validBits(cp.Small)
	g.forTiles(func(wk, b0, b1 int) {
		r0, r1 := b0*per, b1*per
		cols := bufs[wk][:(r1-r0)*rowLen]
		if wb != nil && s16 != nil && bf16Cols { // small already in bfloat16
			blas.GemmBF16AB(false, r1-r0, rowLen, g.Cs, s16[r0*g.Cs:r1*g.Cs], wb, 0, cols, rowLen)
		} else {
			p.sgemmW(false, true, r1-r0, rowLen, g.Cs, small[r0*g.Cs:], g.Cs, w, g.Cs, wb, 0, cols, rowLen)
		}
		for b := b0; b < b1; b++ {
			g.col2im(cols, big, b, r0)
		}
	})
}

// filterLanes is the fixed number of partial weight gradients that filterGrad accumulates side
// by side and adds at the end: fixed, so the result does not depend on GOMAXPROCS.
const filterLanes = 2

// filterMinRows is the fewest im2col rows filterGrad multiplies at once.
var filterMinRows = 256

// filterGrad computes dw (K·K·C, Cs) = im2col(big)ᵀ · small. The batch is cut into tiles of
// samples whose im2col matrix stays in the core's cache (smallTileFloats); lane l takes tiles
// l, l+filterLanes, … in order and accumulates them, and the lanes are added in order at the end.
func (g geom) filterGrad(p Precision, big, small, dw []float32, cp blas.ConvCopies) {
	if g.lib(blas.ConvBackwardWeights, p, big, small, dw, cp) {
		return
	}
	rowLen := g.kkc()
	per := g.smallRows()
	// at least filterMinRows rows a product: each one reads and writes the whole partial dw
	tile := max(1, min(g.B, max(smallTileFloats/(per*rowLen), (filterMinRows+per-1)/per)))
	tiles := (g.B + tile - 1) / tile
	lanes := min(filterLanes, tiles)
	colsLen := tile * per * rowLen
	n := rowLen * g.Cs
	buf := getScratch(lanes*colsLen + (lanes-1)*n)
	defer putScratch()
	parallel(lanes, func(l0, l1 int) {
		for l := l0; l < l1; l++ {
			cols := buf[l*colsLen : (l+1)*colsLen]
			acc := dw
			if l > 0 {
				acc = buf[lanes*colsLen+(l-1)*n : lanes*colsLen+l*n]
			}
			var beta float32
			for t := l; t < tiles; t += lanes {
				r0, r1 := t*tile*per, min(g.B, (t+1)*tile)*per
				if p == BF16 && cKernels && bf16Cols { // im2col straight to bfloat16, as in conv
					c16 := halves(cols)[:(r1-r0)*rowLen]
					g.im2colBF16(big, cp.Big, c16, r0, r1)
					if s16 := validBits(cp.Small); s16 != nil {
						blas.GemmBF16AB16(true, false, rowLen, g.Cs, r1-r0, c16, s16[r0*g.Cs:r1*g.Cs], beta, acc, g.Cs)
					} else {
						blas.GemmBF16A(true, false, rowLen, g.Cs, r1-r0, c16, small[r0*g.Cs:], g.Cs, beta, acc, g.Cs)
					}
				} else {
					g.im2col(big, cols, r0, r1)
					p.Sgemm(true, false, rowLen, g.Cs, r1-r0, cols, rowLen, small[r0*g.Cs:], g.Cs, beta, acc, g.Cs)
				}
				beta = 1
			}
		}
	})
	for l := 1; l < lanes; l++ { // element by element: the same sums whatever the split
		part := buf[lanes*colsLen+(l-1)*n : lanes*colsLen+l*n]
		parallel(n, func(lo, hi int) { addTo(dw[lo:hi], part[lo:hi]) })
	}
}
