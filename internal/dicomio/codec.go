package dicomio

import (
	"bytes"
	"errors"
	"fmt"
	"image/jpeg"

	"github.com/raysynth/raysynth/internal/imageio"
	"github.com/suyashkumar/dicom/pkg/frame"
)

// Transfer syntax UIDs of the compressed encodings this package decodes (PS3.5 §8.2, A.4).
const (
	JPEGLossless       = "1.2.840.10008.1.2.4.57"
	JPEGLosslessSV1    = "1.2.840.10008.1.2.4.70"
	JPEGLSLossless     = "1.2.840.10008.1.2.4.80"
	JPEGLSNearLossless = "1.2.840.10008.1.2.4.81"
	JPEG2000Lossless   = "1.2.840.10008.1.2.4.90"
	JPEG2000           = "1.2.840.10008.1.2.4.91"
	RLELossless        = "1.2.840.10008.1.2.5"
)

// codecLib is one decoding library. Those linked through cgo are in a build only when their build
// tag is set (the Makefile sets it when Debian's -dev package is installed); decode is nil when
// the library is not in this build.
type codecLib struct {
	name    string
	tag     string // build tag; "" for pure Go
	pkg     string // Debian package that provides headers and library; "" for pure Go
	licence string
	decode  decodeFunc
	version func() string
}

// decodeFunc decodes one frame's codestream of an in.Columns×in.Rows single-component image into
// raw sample values, w×h of them: the full size, or a reduced one when in.minSide allows a
// JPEG 2000 codestream to be decoded at a lower resolution level (bit patterns as coded; signed only where the codestream itself is signed). It returns
// an error wrapping [ErrMalformed] for a codestream that does not decode, naming the reason.
type decodeFunc func(codestream []byte, in *Info) (vals []int32, w, h int, err error)

var (
	libGoJPEG = &codecLib{name: "Go image/jpeg (baseline and 8-bit extended)", licence: "BSD-3-Clause (Go)", decode: decodeGoJPEG, version: func() string { return "" }}
	libRLE    = &codecLib{name: "raysynth RLE (PS3.5 Annex G, pure Go)", licence: "same as raysynth", decode: decodeRLE, version: func() string { return "" }}
	libIJG    = &codecLib{name: "IJG libjpeg 6b with the lossless extension, 8/12/16-bit (GDCM's gdcmjpeg)", tag: "gdcmjpeg", pkg: "libgdcm-dev", licence: "IJG (libjpeg) + BSD-3-Clause (GDCM)", decode: ijgDecode, version: ijgVersion}
	libCharLS = &codecLib{name: "CharLS (JPEG-LS)", tag: "charls", pkg: "libcharls-dev", licence: "BSD-3-Clause", decode: charlsDecode, version: charlsVersion}
	libOpenJP = &codecLib{name: "OpenJPEG (JPEG 2000)", tag: "openjpeg", pkg: "libopenjp2-7-dev", licence: "BSD-2-Clause", decode: openjpegDecode, version: openjpegVersion}
)

// codecs maps each encapsulated transfer syntax this package can decode to its library.
// JPEG Extended goes to Go's decoder for 8-bit codestreams and to IJG for 12-bit ones.
var codecs = map[string]*codecLib{
	JPEGBaseline:       libGoJPEG,
	JPEGExtended:       libGoJPEG,
	JPEGLossless:       libIJG,
	JPEGLosslessSV1:    libIJG,
	JPEGLSLossless:     libCharLS,
	JPEGLSNearLossless: libCharLS,
	JPEG2000Lossless:   libOpenJP,
	JPEG2000:           libOpenJP,
	RLELossless:        libRLE,
}

// DecodeForSize is [Decode] for a caller that will shrink the image so that its shorter side is
// side pixels: a JPEG 2000 codestream is then decoded at the lowest of its resolution levels
// whose shorter side is still at least 4×side (each level halves the size; it is the wavelet's
// low-pass band, a 2×2 average up to rounding), which skips most of the decoding work on a large
// film. Other encodings, and side 0, decode at full size as [Decode] does. The returned plane is
// smaller than Rows×Columns when a level was skipped, with the same aspect ratio.
func DecodeForSize(data []byte, side int) (*Info, imageio.Plane, error) {
	ds, form, err := parse(data, false)
	if err != nil {
		return nil, imageio.Plane{}, err
	}
	info, err := infoFrom(ds, form)
	if err != nil {
		return nil, imageio.Plane{}, err
	}
	if err := info.CheckRenderable(); err != nil {
		return info, imageio.Plane{}, err
	}
	if side > 0 {
		info.minSide = 4 * side
	}
	p, err := render(ds, info)
	info.minSide = 0
	return info, p, err
}

// Codec describes the decoder of some transfer syntaxes in this build, for `raysynth version`.
type Codec struct {
	TransferSyntaxes []string `json:"transfer_syntaxes"`
	Library          string   `json:"library"`
	Version          string   `json:"version,omitempty"`
	Licence          string   `json:"licence"`
	Available        bool     `json:"available"`
	BuildTag         string   `json:"build_tag,omitempty"`
	Package          string   `json:"package,omitempty"` // Debian package to install when not available
}

// Codecs lists the decoders of compressed pixel data and whether each is in this build.
func Codecs() []Codec {
	order := []struct {
		lib *codecLib
		ts  []string
	}{
		{libGoJPEG, []string{JPEGBaseline, JPEGExtended + " (8-bit)"}},
		{libIJG, []string{JPEGExtended + " (12-bit)", JPEGLossless, JPEGLosslessSV1}},
		{libCharLS, []string{JPEGLSLossless, JPEGLSNearLossless}},
		{libOpenJP, []string{JPEG2000Lossless, JPEG2000}},
		{libRLE, []string{RLELossless}},
	}
	var out []Codec
	for _, o := range order {
		c := Codec{TransferSyntaxes: o.ts, Library: o.lib.name, Licence: o.lib.licence, Available: o.lib.decode != nil, BuildTag: o.lib.tag, Package: o.lib.pkg}
		if c.Available {
			c.Version = o.lib.version()
		}
		out = append(out, c)
	}
	return out
}

// MissingCodecError says a transfer syntax is known but its decoding library is not in this
// build. It wraps [ErrUnsupported].
type MissingCodecError struct {
	UID, Name string
	Library   string
	Package   string // Debian package with the library's headers
	Tag       string // build tag that links it
}

func (e *MissingCodecError) Error() string {
	return fmt.Sprintf("transfer syntax %s (%s) needs %s, which this raysynth build lacks: install Debian's %s and rebuild with `make build` (it sets the %q build tag), or convert the file first (gdcmconv --raw)", e.UID, e.Name, e.Library, e.Package, e.Tag)
}

func (e *MissingCodecError) Unwrap() error { return ErrUnsupported }

func missing(uid string, lib *codecLib) error {
	return &MissingCodecError{UID: uid, Name: TransferSyntaxName(uid), Library: lib.name, Package: lib.pkg, Tag: lib.tag}
}

// encapsulatedFrame joins the fragments of the one frame of encapsulated pixel data.
// suyashkumar/dicom returns each fragment as a frame and skips the Basic Offset Table; for a
// single-frame image (the only kind [Info.CheckRenderable] lets through) every fragment belongs
// to frame 1 (PS3.5 A.4), so the BOT carries no information and the codestream is the fragments
// in order. The one-fragment case returns the fragment itself without copying.
func encapsulatedFrame(frames []*frame.Frame) []byte {
	if len(frames) == 1 {
		return frames[0].EncapsulatedData.Data
	}
	n := 0
	for _, f := range frames {
		n += len(f.EncapsulatedData.Data)
	}
	b := make([]byte, 0, n)
	for _, f := range frames {
		b = append(b, f.EncapsulatedData.Data...)
	}
	return b
}

// decodeEncapsulated decodes the frame of encapsulated pixel data into stored values (masked to
// BitsStored and sign-extended as for native data).
func decodeEncapsulated(frames []*frame.Frame, in *Info) (stored []int32, w, h int, err error) {
	lib, ok := codecs[in.TransferSyntaxUID]
	if !ok {
		return nil, 0, 0, &UnsupportedTransferSyntaxError{UID: in.TransferSyntaxUID, Name: TransferSyntaxName(in.TransferSyntaxUID)}
	}
	cs := encapsulatedFrame(frames)
	if len(cs) == 0 {
		return nil, 0, 0, fmt.Errorf("%w: encapsulated pixel data has no fragments", ErrMalformed)
	}
	if lib == libGoJPEG {
		if p, err := jpegPrecision(cs); err == nil && p > 8 {
			lib = libIJG // 12-bit extended JPEG
		}
	}
	if lib.decode == nil {
		return nil, 0, 0, missing(in.TransferSyntaxUID, lib)
	}
	raw, w, h, err := lib.decode(cs, in)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("transfer syntax %s: %w", in.TransferSyntaxLabel(), err)
	}
	if len(raw) != w*h || w < 1 || h < 1 {
		return nil, 0, 0, fmt.Errorf("%w: decoder returned %d samples for %dx%d", ErrMalformed, len(raw), w, h)
	}
	if lib != libGoJPEG { // Go's decoder gives 8-bit gray, used as it always was
		applyBitsStored(raw, in)
	}
	return raw, w, h, nil
}

// applyBitsStored masks decoded samples to BitsStored and sign-extends them when
// PixelRepresentation is 1, as [rawSamples] does for native data (compressed data are coded with
// HighBit = BitsStored-1, so there is no shift).
func applyBitsStored(v []int32, in *Info) {
	bits := in.BitsStored
	if bits < 1 || bits >= 32 {
		return
	}
	mask := uint32(1)<<uint(bits) - 1
	sign := uint32(1) << uint(bits-1)
	for i, x := range v {
		u := uint32(x) & mask
		if in.PixelSigned && u&sign != 0 {
			v[i] = int32(int64(u) - int64(mask) - 1)
		} else {
			v[i] = int32(u)
		}
	}
}

// decodeGoJPEG decodes 8-bit baseline and extended JPEG with Go's image/jpeg.
func decodeGoJPEG(cs []byte, in *Info) ([]int32, int, int, error) {
	w, h := in.Columns, in.Rows
	img, err := jpeg.Decode(bytes.NewReader(cs))
	if err != nil {
		return nil, 0, 0, fmt.Errorf("%w: JPEG data does not decode (%v)", ErrMalformed, err)
	}
	stored, gw, gh := jpegSamples(img)
	if gw != w || gh != h {
		return nil, 0, 0, fmt.Errorf("%w: JPEG is %dx%d but Rows/Columns say %dx%d", ErrMalformed, gw, gh, w, h)
	}
	return stored, w, h, nil
}

// jpegPrecision returns the sample precision of a JPEG codestream's frame header (SOFn).
func jpegPrecision(cs []byte) (int, error) {
	p, _, _, _, err := jpegFrameHeader(cs)
	return p, err
}

// jpegFrameHeader finds the SOFn marker of a JPEG codestream and returns its precision, size,
// component count and marker (0xC0…0xCF without DHT/JPG/DAC).
func jpegFrameHeader(cs []byte) (prec, w, h, comps int, err error) {
	if len(cs) < 4 || cs[0] != 0xFF || cs[1] != 0xD8 {
		return 0, 0, 0, 0, errors.New("no JPEG start-of-image marker")
	}
	i := 2
	for i+4 <= len(cs) {
		if cs[i] != 0xFF {
			return 0, 0, 0, 0, errors.New("corrupt JPEG marker segment")
		}
		m := cs[i+1]
		if m == 0xFF { // fill byte
			i++
			continue
		}
		n := int(cs[i+2])<<8 | int(cs[i+3])
		if m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC {
			if n < 8 || i+4+6 > len(cs) {
				return 0, 0, 0, 0, errors.New("truncated JPEG frame header")
			}
			s := cs[i+4:]
			return int(s[0]), int(s[3])<<8 | int(s[4]), int(s[1])<<8 | int(s[2]), int(s[5]), nil
		}
		if m == 0xDA || m == 0xD9 {
			break
		}
		i += 2 + n
	}
	return 0, 0, 0, 0, errors.New("no JPEG frame header before the scan")
}

// endsWithEOI reports whether a JPEG or JPEG-LS codestream ends with its end-of-image marker
// (FF D9), allowing the zero bytes DICOM pads odd-length fragments with.
func endsWithEOI(cs []byte) bool {
	n := len(cs)
	for n > 0 && cs[n-1] == 0 {
		n--
	}
	return n >= 2 && cs[n-2] == 0xFF && cs[n-1] == 0xD9
}
