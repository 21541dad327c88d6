package privacy

import (
	"image"
	"math"
	"math/rand/v2"
)

// Leaks planted into candidate sets: each returns a modified copy of a training image.
var leakKinds = []struct {
	name string
	make func(g *image.Gray, rng *rand.Rand) *image.Gray
}{
	{"exact_copy", func(g *image.Gray, _ *rand.Rand) *image.Gray { return cloneGray(g) }},
	{"gaussian_noise_0.02", func(g *image.Gray, rng *rand.Rand) *image.Gray {
		return mapPix(g, func(v float64) float64 { return v + rng.NormFloat64()*0.02*255 })
	}},
	{"shift_2px_right", func(g *image.Gray, _ *rand.Rand) *image.Gray { return shiftGray(g, 2, 0) }},
	{"shift_2px_up", func(g *image.Gray, _ *rand.Rand) *image.Gray { return shiftGray(g, 0, -2) }},
	{"shift_2px_diagonal", func(g *image.Gray, _ *rand.Rand) *image.Gray { return shiftGray(g, -2, 2) }},
	{"contrast_linear_0.7", func(g *image.Gray, _ *rand.Rand) *image.Gray {
		return mapPix(g, func(v float64) float64 { return 0.7*v + 40 })
	}},
	{"contrast_gamma_1.5", func(g *image.Gray, _ *rand.Rand) *image.Gray {
		return mapPix(g, func(v float64) float64 { return 255 * math.Pow(v/255, 1.5) })
	}},
	{"contrast_gamma_0.7", func(g *image.Gray, _ *rand.Rand) *image.Gray {
		return mapPix(g, func(v float64) float64 { return 255 * math.Pow(v/255, 0.7) })
	}},
}

func cloneGray(g *image.Gray) *image.Gray {
	out := image.NewGray(g.Rect)
	copy(out.Pix, g.Pix)
	return out
}

func mapPix(g *image.Gray, f func(float64) float64) *image.Gray {
	out := image.NewGray(g.Rect)
	for i, p := range g.Pix {
		out.Pix[i] = uint8(math.Max(0, math.Min(255, math.Round(f(float64(p))))))
	}
	return out
}

// shiftGray moves the image content by (dx, dy) pixels, repeating the edge pixels.
func shiftGray(g *image.Gray, dx, dy int) *image.Gray {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	out := image.NewGray(g.Rect)
	for y := range h {
		for x := range w {
			sx, sy := min(max(x-dx, 0), w-1), min(max(y-dy, 0), h-1)
			out.Pix[y*w+x] = g.Pix[sy*g.Stride+sx]
		}
	}
	return out
}
