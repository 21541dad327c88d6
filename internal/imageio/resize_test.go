package imageio

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"testing"

	"github.com/raysynth/raysynth/internal/imageio/pngtest"
)

func TestAreaResize(t *testing.T) {
	for _, tc := range []struct {
		name      string
		w, h      int
		pix       []float32
		ow, oh    int
		want      []float32
		wantError error
	}{
		{"2x2 blocks", 4, 2, []float32{0, 4, 8, 8, 2, 6, 0, 0}, 2, 1, []float32{3, 4}, nil},
		{"3 to 2 fractional", 3, 1, []float32{0, 30, 90}, 2, 1, []float32{10, 70}, nil},
		{"identity", 2, 1, []float32{5, 7}, 2, 1, []float32{5, 7}, nil},
		{"no upscaling", 2, 2, make([]float32, 4), 3, 3, nil, ErrTooSmall},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := AreaResize(Plane{W: tc.w, H: tc.h, Pix: tc.pix}, tc.ow, tc.oh)
			if tc.wantError != nil {
				if !errors.Is(err, tc.wantError) {
					t.Fatalf("err %v, want %v", err, tc.wantError)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for i := range tc.want {
				if math.Abs(float64(out.Pix[i]-tc.want[i])) > 1e-4 {
					t.Fatalf("got %v, want %v", out.Pix, tc.want)
				}
			}
		})
	}
}

// Area averaging preserves the mean brightness and does not alias a fine checkerboard into
// stripes (a nearest-neighbour resize would give all black or all white).
func TestAreaResizeCheckerboard(t *testing.T) {
	p := NewPlane(100, 100)
	for y := 0; y < 100; y++ {
		for x := 0; x < 100; x++ {
			if (x+y)%2 == 0 {
				p.Pix[y*100+x] = 255
			}
		}
	}
	out, err := AreaResize(p, 7, 7)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range out.Pix {
		if math.Abs(float64(v)-127.5) > 3 {
			t.Fatalf("pixel %d = %v, want about 127.5", i, v)
		}
	}
}

func TestSquare(t *testing.T) {
	p := Plane{W: 4, H: 2, Pix: []float32{1, 2, 3, 4, 5, 6, 7, 8}}
	c := Square(p, AspectCrop)
	if c.W != 2 || c.H != 2 || c.Pix[0] != 2 || c.Pix[3] != 7 {
		t.Fatalf("crop: %+v", c)
	}
	pd := Square(p, AspectPad)
	if pd.W != 4 || pd.H != 4 || pd.Pix[0] != 0 || pd.Pix[4] != 1 || pd.Pix[15] != 0 {
		t.Fatalf("pad: %+v", pd)
	}
	if _, err := ParseAspect("stretch"); err == nil {
		t.Fatal("unknown aspect accepted")
	}
}

func TestDecodePlane(t *testing.T) {
	g16 := image.NewGray16(image.Rect(0, 0, 2, 1))
	g16.SetGray16(0, 0, color.Gray16{Y: 1000})
	g16.SetGray16(1, 0, color.Gray16{Y: 5000})
	rgba := image.NewRGBA(image.Rect(0, 0, 1, 1))
	rgba.Set(0, 0, color.RGBA{255, 255, 255, 255})
	gray := image.NewGray(image.Rect(0, 0, 2, 1))
	gray.Pix = []uint8{10, 200}
	enc := func(img image.Image) []byte {
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	var jb bytes.Buffer
	jpeg.Encode(&jb, gray, &jpeg.Options{Quality: 100})
	for _, tc := range []struct {
		name string
		data []byte
		kind Kind
		want []float32
		tol  float64
	}{
		{"gray8", enc(gray), KindPNG, []float32{10, 200}, 0},
		{"gray16 stretched", enc(g16), KindPNG, []float32{0, 255}, 0.01},
		{"rgba white", enc(rgba), KindPNG, []float32{255}, 0.01},
		{"jpeg", jb.Bytes(), KindJPEG, []float32{10, 200}, 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, k, err := DecodePlane(tc.data)
			if err != nil || k != tc.kind {
				t.Fatalf("kind %q err %v", k, err)
			}
			for i := range tc.want {
				if math.Abs(float64(p.Pix[i]-tc.want[i])) > tc.tol {
					t.Fatalf("got %v, want %v", p.Pix, tc.want)
				}
			}
		})
	}
	if _, _, err := DecodePlane([]byte("not an image")); !errors.Is(err, ErrNotImage) {
		t.Fatalf("text: %v", err)
	}
	trunc := enc(gray)
	if _, _, err := DecodePlane(trunc[:len(trunc)-20]); err == nil {
		t.Fatal("truncated PNG decoded")
	}
}

func FuzzDecodePlane(f *testing.F) {
	var b bytes.Buffer
	png.Encode(&b, image.NewGray(image.Rect(0, 0, 3, 2)))
	f.Add(b.Bytes())
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xE0})
	f.Add(pngtest.HeaderOnly(16384, 16384, 6, 16))
	f.Add(pngtest.HeaderOnly(3, 2, 0, 16))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, _, err := DecodePlane(data)
		if err == nil && len(p.Pix) != p.W*p.H {
			t.Fatal("plane size mismatch")
		}
	})
}
