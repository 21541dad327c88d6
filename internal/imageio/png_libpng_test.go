//go:build cgo && libpng

package imageio

import (
	"bytes"
	"image"
	"image/png"
	"testing"
)

// With the libpng tag an 8-bit grayscale PNG goes through libpng, other kinds do not.
func TestLibpngTakesGray8Only(t *testing.T) {
	for _, tc := range []struct {
		img  image.Image
		want bool
	}{
		{image.NewGray(image.Rect(0, 0, 20, 10)), true},
		{image.NewGray16(image.Rect(0, 0, 20, 10)), false},
		{image.NewRGBA(image.Rect(0, 0, 20, 10)), false},
	} {
		var b bytes.Buffer
		if err := png.Encode(&b, tc.img); err != nil {
			t.Fatal(err)
		}
		_, ok, err := decodeGray8PNG(b.Bytes())
		if err != nil || ok != tc.want {
			t.Errorf("%T: libpng used %v (error %v), want %v", tc.img, ok, err, tc.want)
		}
	}
}
