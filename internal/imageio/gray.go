package imageio

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"os"

	"github.com/raysynth/raysynth/internal/fsutil"
)

// ReadGray reads a PNG file as 8-bit gray (colour images are converted with the standard
// luminance weights).
func ReadGray(path string) (*image.Gray, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read image %s: %w", path, err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("decode PNG %s: %w", path, err)
	}
	return ToGray(img), nil
}

// ToGray converts any image to *image.Gray with its bounds moved to the origin.
func ToGray(img image.Image) *image.Gray {
	if g, ok := img.(*image.Gray); ok && g.Rect.Min == (image.Point{}) {
		return g
	}
	b := img.Bounds()
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(g, g.Rect, img, b.Min, draw.Src)
	return g
}

// EncodePNG encodes a gray image as PNG with a fixed compression level, so equal pixels give
// equal bytes.
func EncodePNG(img *image.Gray) ([]byte, error) {
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.DefaultCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteGray writes img as a PNG file atomically and returns the bytes written.
func WriteGray(path string, img *image.Gray) ([]byte, error) {
	b, err := EncodePNG(img)
	if err != nil {
		return nil, fmt.Errorf("encode PNG %s: %w", path, err)
	}
	if err := fsutil.WriteFile(path, b, 0o644); err != nil {
		return nil, err
	}
	return b, nil
}

// ToFloat appends img's pixels to dst scaled to [-1, 1] (0 → -1, 255 → 1), row-major.
func ToFloat(dst []float32, img *image.Gray) []float32 {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	for y := 0; y < h; y++ {
		row := img.Pix[y*img.Stride : y*img.Stride+w]
		for _, p := range row {
			dst = append(dst, float32(p)/127.5-1)
		}
	}
	return dst
}

// FromFloat makes a w×h gray image from values in [-1, 1] (clamped), rounding to nearest.
func FromFloat(v []float32, w, h int) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := 0; i < w*h; i++ {
		x := (v[i] + 1) * 127.5
		switch {
		case x <= 0:
			g.Pix[i] = 0
		case x >= 255:
			g.Pix[i] = 255
		default:
			g.Pix[i] = uint8(x + 0.5)
		}
	}
	return g
}
