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
	{Name: "jpeg-ls-near-lossless", UID: "1.2.840.10008.1.2.4.81", Args: []string{"dcmcjpls", "+en", "+md", "2"}, Lossy: true, Reference: []string{"dcmdjpls"}},
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
