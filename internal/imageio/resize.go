package imageio

import (
	"errors"
	"fmt"
	"image"
	"math"
)

// Aspect says how a non-square source becomes a square image.
type Aspect string

// Aspect policies.
const (
	// AspectCrop keeps the central square of the image (the longer side is trimmed equally on both
	// ends). Chest films are close to square and the lungs are central, so this is the default.
	AspectCrop Aspect = "crop"
	// AspectPad centres the whole image on a black square (nothing is lost; black bars are added).
	AspectPad Aspect = "pad"
)

// ParseAspect checks an aspect policy name.
func ParseAspect(s string) (Aspect, error) {
	switch Aspect(s) {
	case AspectCrop, AspectPad:
		return Aspect(s), nil
	}
	return "", fmt.Errorf("aspect policy %q: want crop or pad", s)
}

// ErrTooSmall is returned by [Normalize] when the square made from the source is smaller than the
// target size: raysynth never upscales.
var ErrTooSmall = errors.New("image smaller than the target size")

// Square makes p square according to the aspect policy.
func Square(p Plane, aspect Aspect) Plane {
	if p.W == p.H {
		return p
	}
	if aspect == AspectPad {
		n := max(p.W, p.H)
		out := NewPlane(n, n)
		ox, oy := (n-p.W)/2, (n-p.H)/2
		for y := 0; y < p.H; y++ {
			copy(out.Pix[(y+oy)*n+ox:(y+oy)*n+ox+p.W], p.Pix[y*p.W:(y+1)*p.W])
		}
		return out
	}
	n := min(p.W, p.H)
	ox, oy := (p.W-n)/2, (p.H-n)/2
	out := NewPlane(n, n)
	for y := 0; y < n; y++ {
		copy(out.Pix[y*n:(y+1)*n], p.Pix[(y+oy)*p.W+ox:(y+oy)*p.W+ox+n])
	}
	return out
}

// AreaResize downscales p to w×h by area averaging: every output pixel is the mean of the source
// area it covers, with fractional weights for source pixels on its edges (a box filter, so no
// aliasing and no ringing). Sizes larger than the source are refused with [ErrTooSmall].
func AreaResize(p Plane, w, h int) (Plane, error) {
	if w <= 0 || h <= 0 {
		return Plane{}, fmt.Errorf("resize to %dx%d: size must be positive", w, h)
	}
	if w > p.W || h > p.H {
		return Plane{}, fmt.Errorf("%w: %dx%d, need at least %dx%d", ErrTooSmall, p.W, p.H, w, h)
	}
	if w == p.W && h == p.H {
		return p, nil
	}
	return areaResize(p.Pix, p.W, p.H, w, h), nil
}

// areaResize is [AreaResize] of a w0×h0 image of samples src (8-bit or float32): the arithmetic
// is the same for both, so an 8-bit image and its float32 plane give the same result.
func areaResize[T uint8 | float32](src []T, w0, h0, w, h int) Plane {
	// Horizontal pass: h0 rows of w values; then vertical pass.
	xw := boxWeights(w0, w)
	tmp := make([]float32, h0*w)
	for y := 0; y < h0; y++ {
		src := src[y*w0 : (y+1)*w0]
		dst := tmp[y*w : (y+1)*w]
		for x, span := range xw {
			var s float64
			for k, wt := range span.w {
				s += float64(src[span.first+k]) * wt
			}
			dst[x] = float32(s)
		}
	}
	yw := boxWeights(h0, h)
	out := NewPlane(w, h)
	acc := make([]float64, w)
	for y, span := range yw {
		clear(acc)
		for k, wt := range span.w {
			row := tmp[(span.first+k)*w : (span.first+k+1)*w]
			for x, v := range row {
				acc[x] += float64(v) * wt
			}
		}
		for x, v := range acc {
			out.Pix[y*w+x] = float32(v)
		}
	}
	return out
}

type span struct {
	first int
	w     []float64 // weights summing to 1
}

// boxWeights returns, for each of m output cells over n source cells, the source cells it covers
// and their overlap fractions.
func boxWeights(n, m int) []span {
	scale := float64(n) / float64(m)
	out := make([]span, m)
	for i := range out {
		lo, hi := float64(i)*scale, float64(i+1)*scale
		first := int(math.Floor(lo))
		last := min(int(math.Ceil(hi))-1, n-1)
		s := span{first: first}
		for j := first; j <= last; j++ {
			ov := math.Min(hi, float64(j+1)) - math.Max(lo, float64(j))
			if ov > 1e-12 {
				s.w = append(s.w, ov/scale)
			} else {
				s.w = append(s.w, 0)
			}
		}
		out[i] = s
	}
	return out
}

// ToGray rounds a plane to 8-bit gray (values clamped to [0, 255], halves rounded up).
func (p Plane) ToGray() *image.Gray {
	g := image.NewGray(image.Rect(0, 0, p.W, p.H))
	for i, v := range p.Pix {
		switch {
		case v <= 0:
			g.Pix[i] = 0
		case v >= 255:
			g.Pix[i] = 255
		default:
			g.Pix[i] = uint8(v + 0.5)
		}
	}
	return g
}

// Normalize turns a decoded source into a workspace image: square by the aspect policy, then an
// area-averaging downscale to size×size, then 8-bit gray.
func Normalize(p Plane, size int, aspect Aspect) (*image.Gray, error) {
	sq := Square(p, aspect)
	r, err := AreaResize(sq, size, size)
	if err != nil {
		return nil, err
	}
	return r.ToGray(), nil
}

// NormalizeImage is [Normalize] of [PlaneFromImage](img). A square 8-bit grayscale image (the
// usual radiograph) is resized from its bytes, without the float32 plane of the whole film: the
// same result for a quarter of the memory traffic.
func NormalizeImage(img image.Image, size int, aspect Aspect) (*image.Gray, error) {
	g, ok := img.(*image.Gray)
	if !ok || g.Rect.Dx() != g.Rect.Dy() || g.Stride != g.Rect.Dx() || size <= 0 || size > g.Rect.Dx() {
		return Normalize(PlaneFromImage(img), size, aspect)
	}
	n := g.Rect.Dx()
	if size == n {
		return Normalize(PlaneFromImage(img), size, aspect)
	}
	return areaResize(g.Pix[:n*n], n, n, size, size).ToGray(), nil
}
