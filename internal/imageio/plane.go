package imageio

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
)

// Plane is a one-channel image of float32 intensities in [0, 255], row-major, W×H. It is the
// common currency between source decoders (PNG, JPEG, DICOM) and [Normalize].
type Plane struct {
	W, H int
	Pix  []float32
}

// NewPlane returns a zeroed w×h plane.
func NewPlane(w, h int) Plane { return Plane{W: w, H: h, Pix: make([]float32, w*h)} }

// Invert maps every value v to 255 - v (MONOCHROME1 sources, where air is bright).
func (p Plane) Invert() {
	for i, v := range p.Pix {
		p.Pix[i] = 255 - v
	}
}

// Kind is the format of a source image file, recognised by content.
type Kind string

// Source kinds. DICOM files are recognised by internal/dicomio, not here.
const (
	KindPNG   Kind = "png"
	KindJPEG  Kind = "jpeg"
	KindDICOM Kind = "dicom"
	KindNone  Kind = ""
)

// Sniff recognises PNG and JPEG files from their first bytes.
func Sniff(head []byte) Kind {
	switch {
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return KindPNG
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}):
		return KindJPEG
	}
	return KindNone
}

// ErrNotImage is returned by [DecodePlane] for bytes that are neither PNG nor JPEG.
var ErrNotImage = errors.New("not a PNG or JPEG image")

// MaxPixels bounds the size of a decoded source image, so a hostile header cannot make a decoder
// allocate gigabytes (a 16k × 16k film is far beyond any radiograph).
const MaxPixels = 16384 * 16384

// MaxDecodeBytes is the memory budget of one source image: the estimated peak of decoding it
// and normalising it ([DecodeBytes]) must stay within it. A 4320 × 4320 16-bit film, the
// largest detector in use, fits; an image claiming more is refused before it is decoded.
const MaxDecodeBytes = 384 << 20

// ErrTooLarge is wrapped by errors about an image whose decoding would take more memory than
// [MaxDecodeBytes].
var ErrTooLarge = errors.New("image over the memory budget")

// NormalizeBytesPerPixel is the working memory of [Normalize] per source pixel: the plane (4
// bytes) and its square (up to 8 bytes when a 2:1 image is padded).
const NormalizeBytesPerPixel = 12

// DecodeBytes estimates the peak memory of decoding a w×h image from a file of fileSize bytes
// whose decoder holds bytesPerPixel bytes per pixel, turning it into a plane and normalising
// it.
func DecodeBytes(fileSize int64, w, h int, bytesPerPixel float64) int64 {
	px := float64(w) * float64(h)
	return fileSize + int64(px*bytesPerPixel+0.5) + int64(px)*NormalizeBytesPerPixel
}

// CheckBudget returns an error wrapping [ErrTooLarge] when an estimate is over [MaxDecodeBytes].
func CheckBudget(estimate int64) error {
	if estimate > MaxDecodeBytes {
		return fmt.Errorf("%w: decoding it would take about %d MB (limit %d MB per file)", ErrTooLarge, (estimate+1<<20-1)>>20, MaxDecodeBytes>>20)
	}
	return nil
}

// BytesPerPixel is the memory the standard decoders hold per pixel for an image of the given
// color model (from [image.DecodeConfig]): 1 for gray and palette images, 2 for 16-bit gray, 3
// for JPEG's YCbCr (4:4:4 at worst), 4 for 8-bit RGBA and CMYK, 8 for 16-bit RGBA.
func BytesPerPixel(m color.Model) float64 {
	switch m {
	case color.GrayModel, color.AlphaModel:
		return 1
	case color.Gray16Model, color.Alpha16Model:
		return 2
	case color.YCbCrModel:
		return 3
	case color.RGBAModel, color.NRGBAModel, color.CMYKModel:
		return 4
	}
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	return 8
}

// Estimate reads the header of a PNG or JPEG file of size bytes from r and returns its kind and
// the memory decoding and normalising it will take ([DecodeBytes]). It returns [ErrNotImage]
// for other content, an error for an unreadable header or implausible size, and an error
// wrapping [ErrTooLarge] when the estimate is over [MaxDecodeBytes].
func Estimate(r io.Reader, size int64) (Kind, int64, error) {
	br := bufio.NewReader(r)
	head, _ := br.Peek(8)
	kind := Sniff(head)
	var cfg image.Config
	var err error
	switch kind {
	case KindPNG:
		cfg, err = png.DecodeConfig(br)
	case KindJPEG:
		cfg, err = jpeg.DecodeConfig(br)
	default:
		return kind, 0, ErrNotImage
	}
	if err != nil {
		return kind, 0, fmt.Errorf("decode %s header: %w", kind, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return kind, 0, fmt.Errorf("decode %s: implausible size %dx%d", kind, cfg.Width, cfg.Height)
	}
	bpp := BytesPerPixel(cfg.ColorModel)
	if kind == KindPNG {
		bpp *= 1.5 // an interlaced PNG's last pass (half the pixels) is held beside the image
	}
	est := DecodeBytes(size, cfg.Width, cfg.Height, bpp)
	if err := CheckBudget(est); err != nil {
		return kind, est, fmt.Errorf("decode %s %dx%d: %w", kind, cfg.Width, cfg.Height, err)
	}
	return kind, est, nil
}

// DecodePlane decodes a PNG (8- or 16-bit gray, RGB, RGBA, palette) or JPEG image into a plane.
// Colour is converted with the standard luminance weights; 16-bit gray is kept at full precision
// and stretched from its own minimum to its maximum (16-bit sources rarely use the full range).
// The header is read first: an image whose decoded buffers would exceed [MaxDecodeBytes] is
// refused with an error wrapping [ErrTooLarge] before any pixel is decoded.
func DecodePlane(data []byte) (Plane, Kind, error) {
	img, kind, err := DecodeImage(data)
	if err != nil {
		return Plane{}, kind, err
	}
	return PlaneFromImage(img), kind, nil
}

// DecodeImage decodes a PNG or JPEG file as [DecodePlane] does, checking its header first, and
// returns the decoded image; [PlaneFromImage] or [NormalizeImage] take it from there. With the
// libpng build tag, 8-bit grayscale PNGs are decoded by libpng (the same pixels, in about half
// the time of Go's image/png).
func DecodeImage(data []byte) (image.Image, Kind, error) {
	kind, _, err := Estimate(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, kind, err
	}
	var img image.Image
	if kind == KindPNG {
		var g *image.Gray
		var ok bool
		if g, ok, err = decodeGray8PNG(data); err != nil {
			return nil, kind, fmt.Errorf("decode %s: %w", kind, err)
		}
		if ok {
			return g, kind, nil
		}
		img, err = png.Decode(bytes.NewReader(data))
	} else {
		img, err = jpeg.Decode(bytes.NewReader(data))
	}
	if err != nil {
		return nil, kind, fmt.Errorf("decode %s: %w", kind, err)
	}
	return img, kind, nil
}

// PlaneFromImage converts a decoded image to a plane (see [DecodePlane] for the rules).
func PlaneFromImage(img image.Image) Plane {
	b := img.Bounds()
	p := NewPlane(b.Dx(), b.Dy())
	switch m := img.(type) {
	case *image.Gray:
		for y := 0; y < p.H; y++ {
			row := m.Pix[y*m.Stride : y*m.Stride+p.W]
			out := p.Pix[y*p.W : (y+1)*p.W]
			for x, v := range row {
				out[x] = float32(v)
			}
		}
	case *image.Gray16:
		lo, hi := uint16(0xFFFF), uint16(0)
		for y := 0; y < p.H; y++ {
			for x := 0; x < p.W; x++ {
				i := y*m.Stride + 2*x
				v := uint16(m.Pix[i])<<8 | uint16(m.Pix[i+1])
				lo, hi = min(lo, v), max(hi, v)
				p.Pix[y*p.W+x] = float32(v)
			}
		}
		scale := float32(0)
		if hi > lo {
			scale = 255 / float32(hi-lo)
		}
		for i, v := range p.Pix {
			p.Pix[i] = (v - float32(lo)) * scale
		}
	case *image.YCbCr:
		for y := 0; y < p.H; y++ {
			for x := 0; x < p.W; x++ {
				p.Pix[y*p.W+x] = float32(m.Y[m.YOffset(b.Min.X+x, b.Min.Y+y)])
			}
		}
	default:
		for y := 0; y < p.H; y++ {
			for x := 0; x < p.W; x++ {
				g := color.Gray16Model.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.Gray16)
				p.Pix[y*p.W+x] = float32(g.Y) / 257
			}
		}
	}
	return p
}
