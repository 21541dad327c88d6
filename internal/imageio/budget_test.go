package imageio

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"runtime"
	"testing"

	"github.com/raysynth/raysynth/internal/imageio/pngtest"
)

// The images of issue 15: inside the pixel limit, far over the memory budget. Each is refused
// from its header with ErrTooLarge, having allocated next to nothing.
func TestDecodePlaneRefusesOverBudget(t *testing.T) {
	for _, tc := range []struct {
		name        string
		w, h        uint32
		ctype, bits byte
	}{
		{"16384 RGBA 16-bit", 16384, 16384, 6, 16},
		{"16384 gray 8-bit", 16384, 16384, 0, 8},
		{"8000 RGB 8-bit", 8000, 8000, 2, 8},
		{"6000 gray 16-bit", 6000, 6000, 0, 16},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := pngtest.HeaderOnly(tc.w, tc.h, tc.ctype, tc.bits)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, _, err := DecodePlane(data)
			runtime.ReadMemStats(&after)
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("got %v, want ErrTooLarge", err)
			}
			if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
				t.Errorf("allocated %d KB refusing it", got>>10)
			}
		})
	}
}

func TestBytesPerPixel(t *testing.T) {
	for _, tc := range []struct {
		img  image.Image
		want float64
	}{
		{image.NewGray(image.Rect(0, 0, 1, 1)), 1},
		{image.NewGray16(image.Rect(0, 0, 1, 1)), 2},
		{image.NewRGBA(image.Rect(0, 0, 1, 1)), 4},
		{image.NewNRGBA64(image.Rect(0, 0, 1, 1)), 8},
		{image.NewPaletted(image.Rect(0, 0, 1, 1), color.Palette{color.Black, color.White}), 1},
	} {
		var b bytes.Buffer
		if err := png.Encode(&b, tc.img); err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(bytes.NewReader(b.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		// The decoder's image has the model's size: check against the real decode.
		img, _ := png.Decode(bytes.NewReader(b.Bytes()))
		if got := BytesPerPixel(cfg.ColorModel); got != tc.want || got < pixBytes(img) {
			t.Errorf("%T: BytesPerPixel %v (decoded image holds %v), want %v", tc.img, got, pixBytes(img), tc.want)
		}
	}
	// The largest film in use fits the budget; twice its side does not.
	if err := CheckBudget(DecodeBytes(40<<20, 4320, 4320, 2)); err != nil {
		t.Errorf("4320² 16-bit: %v", err)
	}
	if err := CheckBudget(DecodeBytes(40<<20, 8640, 8640, 2)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("8640² 16-bit: %v", err)
	}
}

func pixBytes(img image.Image) float64 {
	n := float64(img.Bounds().Dx() * img.Bounds().Dy())
	switch m := img.(type) {
	case *image.Gray:
		return float64(len(m.Pix)) / n
	case *image.Gray16:
		return float64(len(m.Pix)) / n
	case *image.RGBA:
		return float64(len(m.Pix)) / n
	case *image.NRGBA64:
		return float64(len(m.Pix)) / n
	case *image.Paletted:
		return float64(len(m.Pix)) / n
	}
	return 0
}
