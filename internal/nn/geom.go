package nn

import "fmt"

// geom describes a strided convolution between a "big" NHWC map (B, H, W, C) and a "small" one
// (B, Ho, Wo, Cs), with a K×K kernel, stride S and padding P. A convolution maps big to small, a
// transposed convolution small to big; both share im2col and col2im.
type geom struct {
	B, H, W, C  int
	Ho, Wo, Cs  int
	K, S, P     int
	tileSamples int
}

// maxTileFloats bounds the im2col buffer (16 MB), so memory does not grow with the batch.
var maxTileFloats = 4 << 20

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
	g.tileSamples = max(1, min(b, maxTileFloats/(ho*wo*g.kkc())))
	return g, nil
}

func (g geom) kkc() int       { return g.K * g.K * g.C }
func (g geom) smallRows() int { return g.Ho * g.Wo } // rows per sample
func (g geom) bigLen() int    { return g.H * g.W * g.C }
func (g geom) flops() int64 {
	return 2 * int64(g.B) * int64(g.smallRows()) * int64(g.kkc()) * int64(g.Cs)
}

// im2col fills cols (rows r0..r1 of the batch's im2col matrix, relative row 0 = r0) from big.
func (g geom) im2col(big, cols []float32, r0, r1 int) {
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
// cols holds rows starting at row r0 of the batch.
func (g geom) col2im(cols, big []float32, b, r0 int) {
	out := big[b*g.bigLen() : (b+1)*g.bigLen()]
	clear(out)
	rowLen := g.kkc()
	kc := g.K * g.C
	for oy := 0; oy < g.Ho; oy++ {
		for ox := 0; ox < g.Wo; ox++ {
			r := (b*g.Ho+oy)*g.Wo + ox
			src := cols[(r-r0)*rowLen : (r-r0+1)*rowLen]
			for ky := 0; ky < g.K; ky++ {
				iy := oy*g.S - g.P + ky
				if iy < 0 || iy >= g.H {
					continue
				}
				s := src[ky*kc : (ky+1)*kc]
				rowBase := iy * g.W
				if g.C == 1 {
					for kx := 0; kx < g.K; kx++ {
						ix := ox*g.S - g.P + kx
						if ix >= 0 && ix < g.W {
							out[rowBase+ix] += s[kx]
						}
					}
					continue
				}
				for kx := 0; kx < g.K; kx++ {
					ix := ox*g.S - g.P + kx
					if ix < 0 || ix >= g.W {
						continue
					}
					dst := out[(rowBase+ix)*g.C : (rowBase+ix+1)*g.C]
					ss := s[kx*g.C : (kx+1)*g.C]
					for c := range dst {
						dst[c] += ss[c]
					}
				}
			}
		}
	}
}

// conv computes small = conv(big, w) with w of shape (K·K·C, Cs).
func (g geom) conv(big, w, small []float32) {
	rowLen := g.kkc()
	per := g.smallRows()
	for b0 := 0; b0 < g.B; b0 += g.tileSamples {
		b1 := min(g.B, b0+g.tileSamples)
		r0, r1 := b0*per, b1*per
		cols := getScratch((r1 - r0) * rowLen)
		parallel(r1-r0, func(lo, hi int) { g.im2col(big, cols[lo*rowLen:], r0+lo, r0+hi) })
		gemm(false, false, r1-r0, g.Cs, rowLen, cols, rowLen, w, g.Cs, 0, small[r0*g.Cs:], g.Cs)
		putScratch()
	}
}

// convT computes big = convᵀ(small, w): the adjoint of conv with the same weights.
func (g geom) convT(small, w, big []float32) {
	rowLen := g.kkc()
	per := g.smallRows()
	for b0 := 0; b0 < g.B; b0 += g.tileSamples {
		b1 := min(g.B, b0+g.tileSamples)
		r0, r1 := b0*per, b1*per
		cols := getScratch((r1 - r0) * rowLen)
		gemm(false, true, r1-r0, rowLen, g.Cs, small[r0*g.Cs:], g.Cs, w, g.Cs, 0, cols, rowLen)
		parallel(b1-b0, func(lo, hi int) {
			for b := b0 + lo; b < b0+hi; b++ {
				g.col2im(cols, big, b, r0)
			}
		})
		putScratch()
	}
}

// filterGrad computes dw (K·K·C, Cs) = im2col(big)ᵀ · small, summed over the batch in tile order.
func (g geom) filterGrad(big, small, dw []float32) {
	rowLen := g.kkc()
	per := g.smallRows()
	for b0 := 0; b0 < g.B; b0 += g.tileSamples {
		b1 := min(g.B, b0+g.tileSamples)
		r0, r1 := b0*per, b1*per
		cols := getScratch((r1 - r0) * rowLen)
		parallel(r1-r0, func(lo, hi int) { g.im2col(big, cols[lo*rowLen:], r0+lo, r0+hi) })
		var beta float32
		if b0 > 0 {
			beta = 1
		}
		gemm(true, false, rowLen, g.Cs, r1-r0, cols, rowLen, small[r0*g.Cs:], g.Cs, beta, dw, g.Cs)
		putScratch()
	}
}
