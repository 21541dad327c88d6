package nn

import "math"

// The element-wise and reduction loops of the engine, over rows of c channels. Each exists as a
// Go loop here (goXxx) and, in builds with the openblas tag, as a C loop that the C compiler
// vectorises (kern_c.go): Go's compiler does not vectorise, and these loops are about half of a
// training step's CPU time. The C versions compute every element with the same float32
// operations in the same order (no fused multiply-add; sums over rows run row by row, one
// accumulator per channel), so both give bit-identical results; TestKernelsMatchGo checks it.

// goSums adds the rows of x (rows × c) into acc (c).
func goSums(x []float32, c, rows int, acc []float32) {
	acc = acc[:c]
	for r := 0; r < rows; r++ {
		for j, v := range x[r*c : (r+1)*c] {
			acc[j] += v
		}
	}
}

// goSqDev adds Σ (x-mean)² over the rows of x into acc.
func goSqDev(x []float32, c, rows int, mean, acc []float32) {
	acc, mean = acc[:c], mean[:c]
	for r := 0; r < rows; r++ {
		for j, v := range x[r*c : (r+1)*c] {
			d := v - mean[j]
			acc[j] += d * d
		}
	}
}

// goAffine writes y = x·a + b per channel, then LeakyReLU(alpha) when act.
func goAffine(x, y []float32, c, rows int, a, b []float32, act bool, al float32) {
	a, b = a[:c], b[:c]
	for r := 0; r < rows; r++ {
		xs, ys := x[r*c:(r+1)*c], y[r*c:(r+1)*c]
		ys = ys[:len(xs)]
		if !act {
			for j, v := range xs {
				ys[j] = v*a[j] + b[j]
			}
			continue
		}
		for j, v := range xs {
			u := v*a[j] + b[j]
			// Branch-free: with random signs a branch mispredicts half the time.
			neg := float32(math.Float32bits(u) >> 31)
			ys[j] = u * (1 - (1-al)*neg)
		}
	}
}

// goBiasLeaky writes y = LeakyReLU(x + b, alpha).
func goBiasLeaky(x, y []float32, c, rows int, b []float32, a float32) {
	bs := b[:c]
	for r := 0; r < rows; r++ {
		xs, ys := x[r*c:(r+1)*c], y[r*c:(r+1)*c]
		ys = ys[:len(xs)]
		for j, v := range xs {
			u := v + bs[j]
			neg := float32(math.Float32bits(u) >> 31)
			ys[j] = u * (1 - (1-a)*neg)
		}
	}
}

// goBiasActGrad writes dx = dy·act′ from the output y (LeakyReLU(alpha), or tanh) and adds dx's
// rows into acc.
func goBiasActGrad(y, dy, dx []float32, c, rows int, acc []float32, a float32, tanh bool) {
	acc = acc[:c]
	for r := 0; r < rows; r++ {
		ys, ds, out := y[r*c:(r+1)*c], dy[r*c:(r+1)*c], dx[r*c:(r+1)*c]
		ds, out = ds[:len(ys)], out[:len(ys)]
		if tanh {
			for j, v := range ys {
				d := ds[j] * (1 - v*v)
				out[j] = d
				acc[j] += d
			}
			continue
		}
		for j, v := range ys {
			pos := 1 - float32(math.Float32bits(v)>>31) // the sign of y is the sign of x+b
			d := ds[j] * (a + (1-a)*pos)
			out[j] = d
			acc[j] += d
		}
	}
}

// goBNGradSums adds Σ dy and Σ dy·x̂ per channel into acc and accx. With y (the output of a
// fused LeakyReLU), dy is first taken through the activation's slope and written to dyAct.
func goBNGradSums(x, dy, y, dyAct []float32, c, rows int, mean, invstd []float32, al float32, acc, accx []float32) {
	mean, invstd, acc, accx = mean[:c], invstd[:c], acc[:c], accx[:c]
	for r := 0; r < rows; r++ {
		xs, ds := x[r*c:(r+1)*c], dy[r*c:(r+1)*c]
		ds = ds[:len(xs)]
		if y != nil {
			ys, out := y[r*c:(r+1)*c], dyAct[r*c:(r+1)*c]
			ys, out = ys[:len(xs)], out[:len(xs)]
			for j, v := range xs {
				pos := 1 - float32(math.Float32bits(ys[j])>>31)
				d := ds[j] * (al + (1-al)*pos)
				out[j] = d
				acc[j] += d
				accx[j] += d * (v - mean[j]) * invstd[j]
			}
			continue
		}
		for j, v := range xs {
			d := ds[j]
			acc[j] += d
			accx[j] += d * (v - mean[j]) * invstd[j]
		}
	}
}

// goBNGradDx writes BatchNorm's input gradient in training mode.
func goBNGradDx(x, dy, dx []float32, c, rows int, k, mean, invstd, gs, gxs []float32, invN float32) {
	k, mean, invstd, gs, gxs = k[:c], mean[:c], invstd[:c], gs[:c], gxs[:c]
	for r := 0; r < rows; r++ {
		xs, ds, out := x[r*c:(r+1)*c], dy[r*c:(r+1)*c], dx[r*c:(r+1)*c]
		ds, out = ds[:len(xs)], out[:len(xs)]
		for j, d := range ds {
			xh := (xs[j] - mean[j]) * invstd[j]
			out[j] = k[j] * (d - gs[j]*invN - xh*gxs[j]*invN)
		}
	}
}

// adamCoef are the per-step constants of an Adam update (see Adam.Update).
type adamCoef struct {
	b1, omb1, b2, omb2 float32 // β1, 1-β1, β2, 1-β2
	step, sq, eps      float32 // lr/(1-β1ᵗ), √(1-β2ᵗ), ε
}

// goAdam applies one Adam update to w with gradient g and moments m and v.
func goAdam(w, g, m, v []float32, k adamCoef) {
	g, m, v = g[:len(w)], m[:len(w)], v[:len(w)]
	for j := range w {
		gj := g[j]
		m[j] = k.b1*m[j] + k.omb1*gj
		v[j] = k.b2*v[j] + k.omb2*gj*gj
		// float32(√float64(v)) is the correctly rounded float32 square root (rounding √ twice,
		// to 53 then 24 bits, cannot change the result), which C's sqrtf gives too.
		w[j] -= k.step * m[j] / (float32(math.Sqrt(float64(v[j])))/k.sq + k.eps)
	}
}

// goMovingAverage folds w into its moving average: avg = d·avg + (1-d)·w, element by element.
func goMovingAverage(avg, w []float32, d float32) {
	w = w[:len(avg)]
	for j, v := range w {
		avg[j] = d*avg[j] + (1-d)*v
	}
}

// tanh32 is a float32 hyperbolic tangent: the rational approximation of Eigen's ptanh_float (odd
// degree-13 numerator, even degree-6 denominator on x clamped to ±7.9053, x itself below 0.0004),
// within 7 float32 ulps (4.2e-7, checked over every float32 in [0, 12]) of the correctly rounded
// tanh. Unlike math.Tanh (float64, about 25 ns a value: a quarter of eval-mode generation) it is
// float32 multiplies, adds and one division, which the C kernel vectorises. Every product is
// rounded before the addition (no fused multiply-add), so Go and C give the same bits.
func tanh32(x float32) float32 {
	const (
		clamp = 7.90531110763549805
		tiny  = 0.0004
		a1    = 4.89352455891786e-03
		a3    = 6.37261928875436e-04
		a5    = 1.48572235717979e-05
		a7    = 5.12229709037114e-08
		a9    = -8.60467152213735e-11
		a11   = 2.00018790482477e-13
		a13   = -2.76076847742355e-16
		b0    = 4.89352518554385e-03
		b2    = 2.26843463243900e-03
		b4    = 1.18534705686654e-04
		b6    = 1.19825839466702e-06
	)
	if x < tiny && x > -tiny {
		return x
	}
	xc := x
	if xc > clamp {
		xc = clamp
	} else if xc < -clamp {
		xc = -clamp
	}
	x2 := float32(xc * xc)
	p := float32(float32(a13)*x2) + a11
	p = float32(p*x2) + a9
	p = float32(p*x2) + a7
	p = float32(p*x2) + a5
	p = float32(p*x2) + a3
	p = float32(p*x2) + a1
	p = float32(p * xc)
	q := float32(float32(b6)*x2) + b4
	q = float32(q*x2) + b2
	q = float32(q*x2) + b0
	return p / q
}

// goBiasTanh writes y = tanh32(x + b).
func goBiasTanh(x, y []float32, c, rows int, b []float32) {
	bs := b[:c]
	for r := 0; r < rows; r++ {
		xs, ys := x[r*c:(r+1)*c], y[r*c:(r+1)*c]
		ys = ys[:len(xs)]
		for j, v := range xs {
			ys[j] = tanh32(v + bs[j])
		}
	}
}
