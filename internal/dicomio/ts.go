package dicomio

import (
	"errors"
	"fmt"
)

// Transfer syntax UIDs this package decodes.
const (
	ImplicitVRLittleEndian         = "1.2.840.10008.1.2"
	ExplicitVRLittleEndian         = "1.2.840.10008.1.2.1"
	DeflatedExplicitVRLittleEndian = "1.2.840.10008.1.2.1.99"
	ExplicitVRBigEndian            = "1.2.840.10008.1.2.2"
	JPEGBaseline                   = "1.2.840.10008.1.2.4.50"
	JPEGExtended                   = "1.2.840.10008.1.2.4.51"
)

type tsInfo struct {
	name      string
	supported bool
	jpeg      bool
}

// transferSyntaxes names the transfer syntaxes of PS3.6 Annex A that a chest film may come in.
var transferSyntaxes = map[string]tsInfo{
	ImplicitVRLittleEndian:         {"Implicit VR Little Endian", true, false},
	ExplicitVRLittleEndian:         {"Explicit VR Little Endian", true, false},
	DeflatedExplicitVRLittleEndian: {"Deflated Explicit VR Little Endian", true, false},
	ExplicitVRBigEndian:            {"Explicit VR Big Endian (retired)", true, false},
	JPEGBaseline:                   {"JPEG Baseline (Process 1)", true, true},
	JPEGExtended:                   {"JPEG Extended (Process 2 & 4)", true, true},
	"1.2.840.10008.1.2.4.57":       {"JPEG Lossless, Non-Hierarchical (Process 14)", false, false},
	"1.2.840.10008.1.2.4.70":       {"JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])", false, false},
	"1.2.840.10008.1.2.4.80":       {"JPEG-LS Lossless Image Compression", false, false},
	"1.2.840.10008.1.2.4.81":       {"JPEG-LS Lossy (Near-Lossless) Image Compression", false, false},
	"1.2.840.10008.1.2.4.90":       {"JPEG 2000 Image Compression (Lossless Only)", false, false},
	"1.2.840.10008.1.2.4.91":       {"JPEG 2000 Image Compression", false, false},
	"1.2.840.10008.1.2.4.92":       {"JPEG 2000 Part 2 Multi-component Image Compression (Lossless Only)", false, false},
	"1.2.840.10008.1.2.4.93":       {"JPEG 2000 Part 2 Multi-component Image Compression", false, false},
	"1.2.840.10008.1.2.4.201":      {"High-Throughput JPEG 2000 Image Compression (Lossless Only)", false, false},
	"1.2.840.10008.1.2.4.202":      {"High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only)", false, false},
	"1.2.840.10008.1.2.4.203":      {"High-Throughput JPEG 2000 Image Compression", false, false},
	"1.2.840.10008.1.2.4.94":       {"JPIP Referenced", false, false},
	"1.2.840.10008.1.2.4.100":      {"MPEG2 Main Profile / Main Level", false, false},
	"1.2.840.10008.1.2.4.102":      {"MPEG-4 AVC/H.264 High Profile / Level 4.1", false, false},
	"1.2.840.10008.1.2.4.110":      {"JPEG XL Lossless", false, false},
	"1.2.840.10008.1.2.4.111":      {"JPEG XL JPEG Recompression", false, false},
	"1.2.840.10008.1.2.4.112":      {"JPEG XL", false, false},
	"1.2.840.10008.1.2.5":          {"RLE Lossless", false, false},
}

// TransferSyntaxName returns the PS3.6 name of a transfer syntax UID, or "unknown transfer syntax".
func TransferSyntaxName(uid string) string {
	if ts, ok := transferSyntaxes[uid]; ok {
		return ts.name
	}
	return "unknown transfer syntax"
}

// ErrUnsupported is wrapped by every error about a valid DICOM file this package cannot render
// (compression, photometric interpretation, bit depth, several frames).
var ErrUnsupported = errors.New("unsupported DICOM encoding")

// UnsupportedTransferSyntaxError says a file's pixel data is compressed in a way raysynth does
// not decode. It wraps [ErrUnsupported].
type UnsupportedTransferSyntaxError struct {
	UID  string
	Name string
}

func (e *UnsupportedTransferSyntaxError) Error() string {
	return fmt.Sprintf("transfer syntax %s (%s) is not supported: raysynth decodes native (uncompressed), JPEG (baseline, extended, lossless), JPEG-LS, JPEG 2000 and RLE pixel data; convert the file first, e.g. with gdcmconv --raw", e.UID, e.Name)
}

func (e *UnsupportedTransferSyntaxError) Unwrap() error { return ErrUnsupported }

// checkTransferSyntax returns nil for a transfer syntax this package renders.
func checkTransferSyntax(uid string) error {
	ts, ok := transferSyntaxes[uid]
	if !ok {
		if !plausibleUID(uid) {
			uid = "(malformed UID)"
		}
		return &UnsupportedTransferSyntaxError{UID: uid, Name: "unknown transfer syntax"}
	}
	if lib, ok := codecs[uid]; ok {
		if lib.decode == nil {
			return missing(uid, lib)
		}
		return nil
	}
	if !ts.supported {
		return &UnsupportedTransferSyntaxError{UID: uid, Name: ts.name}
	}
	return nil
}

func plausibleUID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if c != '.' && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}
