package imageio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/png"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// withChunk inserts a chunk (with its CRC) right after a PNG's IHDR.
func withChunk(data []byte, typ string, body []byte) []byte {
	c := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
	c = append(append(c, typ...), body...)
	c = binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
	const afterIHDR = 8 + 8 + 13 + 4
	return slices.Concat(data[:afterIHDR], c, data[afterIHDR:])
}

// DecodePlane gives the same pixels whichever decoder it uses (libpng for 8-bit grayscale with
// the libpng build tag, Go's image/png otherwise), and refuses the same broken files.
func TestDecodePlanePNGMatchesImagePNG(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	gray := image.NewGray(image.Rect(0, 0, 301, 203))
	for i := range gray.Pix {
		gray.Pix[i] = uint8(100 + 40*((i/301)%5) + rng.IntN(30))
	}
	g16 := image.NewGray16(image.Rect(0, 0, 40, 30))
	for i := range g16.Pix {
		g16.Pix[i] = uint8(rng.IntN(256))
	}
	enc := func(img image.Image) []byte {
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	g8 := enc(gray)
	badCRC := slices.Clone(g8)
	badCRC[len(badCRC)-20] ^= 0x40 // inside the last IDAT's data
	for _, tc := range []struct {
		name string
		data []byte
		fail string // "" when it decodes
	}{
		{"gray8", g8, ""},
		{"gray8 with gAMA", withChunk(g8, "gAMA", binary.BigEndian.AppendUint32(nil, 100000)), ""},
		{"gray8 with tRNS", withChunk(g8, "tRNS", []byte{0, 120}), ""},
		{"gray16", enc(g16), ""},
		{"truncated", g8[:len(g8)/2], "decode png"},
		{"corrupt data", badCRC, "decode png"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, _, err := DecodePlane(tc.data)
			ref, rerr := png.Decode(bytes.NewReader(tc.data))
			if tc.fail != "" {
				if err == nil || !strings.Contains(err.Error(), tc.fail) {
					t.Fatalf("error %v, want one containing %q", err, tc.fail)
				}
				if rerr == nil {
					t.Fatalf("image/png decodes what DecodePlane refuses")
				}
				return
			}
			if err != nil || rerr != nil {
				t.Fatalf("DecodePlane: %v; image/png: %v", err, rerr)
			}
			want := PlaneFromImage(ref)
			if p.W != want.W || p.H != want.H || !slices.Equal(p.Pix, want.Pix) {
				t.Fatalf("%d×%d plane differs from image/png's %d×%d", p.W, p.H, want.W, want.H)
			}
		})
	}
}

// NormalizeImage gives the bytes Normalize gives from the image's float32 plane, on the 8-bit
// fast path (square gray) and off it.
func TestNormalizeImageMatchesNormalize(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	sq := image.NewGray(image.Rect(0, 0, 517, 517))
	wide := image.NewGray(image.Rect(0, 0, 300, 200))
	for _, g := range []*image.Gray{sq, wide} {
		for i := range g.Pix {
			g.Pix[i] = uint8(rng.IntN(256))
		}
	}
	g16 := image.NewGray16(image.Rect(0, 0, 128, 128))
	for i := range g16.Pix {
		g16.Pix[i] = uint8(rng.IntN(256))
	}
	for _, tc := range []struct {
		name string
		img  image.Image
		size int
	}{
		{"square gray to 64", sq, 64},
		{"square gray to 100", sq, 100},
		{"square gray, same size", sq, 517},
		{"wide gray", wide, 64},
		{"gray16", g16, 32},
	} {
		for _, aspect := range []Aspect{AspectCrop, AspectPad} {
			got, err := NormalizeImage(tc.img, tc.size, aspect)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			want, err := Normalize(PlaneFromImage(tc.img), tc.size, aspect)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Pix, want.Pix) || got.Rect != want.Rect {
				t.Errorf("%s (%s): NormalizeImage differs from Normalize", tc.name, aspect)
			}
		}
	}
	if _, err := NormalizeImage(wide, 250, AspectCrop); !errors.Is(err, ErrTooSmall) {
		t.Errorf("upscaling: error %v, want ErrTooSmall", err)
	}
}
