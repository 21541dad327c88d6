package imageio

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"runtime"
	"testing"
)

// pngHeaderOnly writes a PNG whose IHDR claims w×h pixels of the given colour type and bit depth
// followed by one short IDAT: a few hundred bytes that make a decoder allocate the whole image.
func pngHeaderOnly(w, h uint32, colorType, depth byte) []byte {
	var buf bytes.Buffer
	buf.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&buf, binary.BigEndian, uint32(len(data)))
		c := crc32.NewIEEE()
		c.Write([]byte(typ))
		c.Write(data)
		buf.WriteString(typ)
		buf.Write(data)
		binary.Write(&buf, binary.BigEndian, c.Sum32())
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = depth, colorType
	chunk("IHDR", ihdr)
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(make([]byte, 4096))
	zw.Close()
	chunk("IDAT", z.Bytes())
	chunk("IEND", nil)
	return buf.Bytes()
}

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
			data := pngHeaderOnly(tc.w, tc.h, tc.ctype, tc.bits)
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
