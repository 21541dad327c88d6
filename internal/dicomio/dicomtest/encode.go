package dicomtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Encoder is one standard tool invocation that compresses a DICOM file into a transfer syntax:
// dcmtk's dcmcjpeg/dcmcjpls/dcmcrle and GDCM's gdcmconv (Debian's dcmtk and libgdcm-tools, which
// the Makefile installs). Tests make their compressed fixtures with these at run time from the
// shared DICOM files rather than committing them.
type Encoder struct {
	Name      string   // short label for test names
	UID       string   // transfer syntax it produces
	Args      []string // tool and options; the input and output paths are appended
	Then      []string // a second tool run on Args' output, if any
	Lossy     bool
	Reference []string // for lossy syntaxes: a tool that decompresses to native, for comparison
	MaxBits   int      // the largest BitsStored the encoder accepts (0: 16)
	Unsigned  bool     // the encoder refuses signed pixel data
}

// Encoders lists the fixtures the codec tests make: every transfer syntax a PACS exports chest
// films in, from two independent encoders where both exist, with several fragments and with an
// empty Basic Offset Table for some.
var Encoders = []Encoder{
	{Name: "jpeg-lossless-p14", UID: "1.2.840.10008.1.2.4.57", Args: []string{"dcmcjpeg", "+el"}},
	{Name: "jpeg-lossless-sv1", UID: "1.2.840.10008.1.2.4.70", Args: []string{"dcmcjpeg", "+e1"}},
	{Name: "jpeg-lossless-sv1-fragments", UID: "1.2.840.10008.1.2.4.70", Args: []string{"dcmcjpeg", "+e1", "+fs", "8", "-ot"}},
	{Name: "jpeg-lossless-gdcm", UID: "1.2.840.10008.1.2.4.70", Args: []string{"gdcmconv", "--jpeg"}},
	{Name: "jpeg-extended", UID: "1.2.840.10008.1.2.4.51", Args: []string{"dcmcjpeg", "+ee"}, Lossy: true, Reference: []string{"dcmdjpeg"}, MaxBits: 12},
	{Name: "jpeg-ls-lossless", UID: "1.2.840.10008.1.2.4.80", Args: []string{"dcmcjpls", "+el"}},
	{Name: "jpeg-ls-lossless-fragments", UID: "1.2.840.10008.1.2.4.80", Args: []string{"dcmcjpls", "+el", "+fs", "8"}},
	{Name: "jpeg-ls-lossless-gdcm", UID: "1.2.840.10008.1.2.4.80", Args: []string{"gdcmconv", "--jpegls"}},
	{Name: "jpeg-ls-near-lossless", UID: "1.2.840.10008.1.2.4.81", Args: []string{"dcmcjpls", "+en", "+md", "2"}, Lossy: true, Reference: []string{"dcmdjpls"}, Unsigned: true},
	{Name: "j2k-lossless", UID: "1.2.840.10008.1.2.4.90", Args: []string{"gdcmconv", "--j2k"}},
	{Name: "j2k-lossless-fragments", UID: "1.2.840.10008.1.2.4.90", Args: []string{"gdcmconv", "--j2k"}, Then: []string{"gdcmconv", "--split", "8192"}},
	{Name: "j2k-lossy", UID: "1.2.840.10008.1.2.4.91", Args: []string{"gdcmconv", "--j2k", "--lossy", "-r", "8"}, Lossy: true, Reference: []string{"gdcmconv", "--raw"}},
	{Name: "rle", UID: "1.2.840.10008.1.2.5", Args: []string{"dcmcrle"}},
	{Name: "rle-gdcm", UID: "1.2.840.10008.1.2.5", Args: []string{"gdcmconv", "--rle"}},
}

// Run runs a DICOM-to-DICOM tool (args plus an input and an output path) on data and returns the
// output file's bytes.
func Run(args []string, data []byte) ([]byte, error) {
	if _, err := exec.LookPath(args[0]); err != nil {
		return nil, fmt.Errorf("%s not installed: run `make deps-openblas` (it installs dcmtk and libgdcm-tools): %w", args[0], err)
	}
	dir, err := os.MkdirTemp("", "raysynth-encode-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	in, out := filepath.Join(dir, "in.dcm"), filepath.Join(dir, "out.dcm")
	if err := os.WriteFile(in, data, 0o600); err != nil {
		return nil, err
	}
	cmd := exec.Command(args[0], append(args[1:], in, out)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%s: %v\n%s", strings.Join(args, " "), err, b)
	}
	return os.ReadFile(out)
}

// Encode compresses a Part-10 DICOM file with e.
func Encode(e Encoder, data []byte) ([]byte, error) {
	b, err := Run(e.Args, data)
	if err != nil || e.Then == nil {
		return b, err
	}
	return Run(e.Then, b)
}

// LargeFilm makes a w×h 16-bit MONOCHROME2 DX chest film (Part-10, explicit VR little endian)
// from a gray plane in [0, 255] of sw×sh (a real film, rendered), upscaled bilinearly, spread
// over 16 bits, with seeded noise of about ±64 in the low bits so that it compresses like a
// detector's output, not like a smooth upscale. Each seed gives different pixels and its own
// PatientID and SOPInstanceUID.
func LargeFilm(pix []float32, sw, sh, w, h int, seed uint32) []byte {
	px := make([]uint16, w*h)
	x := seed*2654435761 + 12345
	for j := 0; j < h; j++ {
		fy := float64(j) * float64(sh-1) / float64(max(1, h-1))
		y0 := int(fy)
		y1 := min(y0+1, sh-1)
		ty := float32(fy - float64(y0))
		for i := 0; i < w; i++ {
			fx := float64(i) * float64(sw-1) / float64(max(1, w-1))
			x0 := int(fx)
			x1 := min(x0+1, sw-1)
			tx := float32(fx - float64(x0))
			top := pix[y0*sw+x0]*(1-tx) + pix[y0*sw+x1]*tx
			bot := pix[y1*sw+x0]*(1-tx) + pix[y1*sw+x1]*tx
			x ^= x << 13
			x ^= x >> 17
			x ^= x << 5
			v := (top*(1-ty)+bot*ty)*256 + float32(int(x&127)-64)
			px[j*w+i] = uint16(min(65535, max(0, v)))
		}
	}
	elems := append(ImageElems(w, h, "MONOCHROME2", 16, px),
		Str(0x0008, 0x0016, "UI", "1.2.840.10008.5.1.4.1.1.1.1"),
		Str(0x0008, 0x0018, "UI", fmt.Sprintf("2.25.%d", 77000+seed)),
		Str(0x0010, 0x0020, "LO", fmt.Sprintf("BENCH-%d", seed)),
		Str(0x0018, 0x0015, "CS", "CHEST"),
		Str(0x0020, 0x000D, "UI", fmt.Sprintf("2.25.%d", 88000+seed)))
	return Build("1.2.840.10008.1.2.1", false, false, elems, nil)
}
