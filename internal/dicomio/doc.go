// Package dicomio reads chest X-ray DICOM files for ingest: it recognises DICOM by content (Part-10
// files with the DICM preamble and raw datasets without preamble or meta header), reads the few
// attributes ingest needs, renders the pixels to a display-ready gray plane, and lists and removes
// the identifying attributes (de-identification helpers).
//
// # Pixel pipeline
//
// Stored values (BitsStored/HighBit masking, sign extension when PixelRepresentation is 1) →
// Modality LUT (RescaleSlope/RescaleIntercept) → VOI (the first WindowCenter/WindowWidth pair with
// the VOILUTFunction of PS3.3 C.11.2.1.2: LINEAR, LINEAR_EXACT or SIGMOID; else the first VOI LUT
// of the VOI LUT Sequence; else the image's own minimum to maximum) → MONOCHROME1 inverted so that
// air is dark → [0, 255]. (A Modality LUT Sequence is not applied; RescaleSlope/Intercept is.)
// Native pixel data (8, 16 or 32 bits allocated) and encapsulated (compressed) single-frame pixel
// data are decoded (codec.go):
//
//   - JPEG baseline and 8-bit extended (1.2.840.10008.1.2.4.50, .51): Go's image/jpeg.
//   - JPEG 12-bit extended (.51) and lossless process 14 (.57, .70): GDCM's IJG libjpeg 6b with
//     the lossless extension, built for 8, 12 and 16 bits (cgo, build tag gdcmjpeg, libgdcm-dev).
//   - JPEG-LS (.80, .81): CharLS (cgo, build tag charls, libcharls-dev).
//   - JPEG 2000 (.90, .91): OpenJPEG (cgo, build tag openjpeg, libopenjp2-7-dev).
//   - RLE Lossless (1.2.840.10008.1.2.5): pure Go, written here (no maintained library exists).
//
// A build without a cgo codec refuses its transfer syntaxes with a [MissingCodecError] naming the
// Debian package; [Codecs] lists what this build has. Every other encapsulated transfer syntax
// (HTJ2K, JPEG XL, video) is refused with an [UnsupportedTransferSyntaxError] naming the UID and
// its name. A codestream that does not decode is an error wrapping [ErrMalformed] with the
// decoder's reason; decoders check the codestream's size against Rows/Columns before allocating.
//
// # Invariants
//
//   - Errors never contain attribute values that could identify a patient (names, IDs, dates,
//     UIDs, free text); they name transfer syntaxes, photometric interpretations and sizes only.
//   - A malformed file gives an error, never a panic (the parser is fuzzed).
//   - Memory is bounded by what the file is, not by what it claims: before the DICOM library sees
//     a file, [Scan] walks its element stream and refuses nesting deeper than 32 levels, value
//     lengths beyond the bytes left, more than 100,000 elements, and files whose parse and decode
//     are estimated over [imageio.MaxDecodeBytes] ([ErrMalformed] or [ErrTooLarge]). This also
//     keeps the library's error wrapping, quadratic in the nesting depth, small (see
//     docs/dicom-upstream.md). A JPEG 2000 header is read in Go before OpenJPEG sees it: a coding
//     structure (tiles, code-blocks, precincts, packets) beyond what a film needs is [ErrTooLarge],
//     since OpenJPEG allocates and walks it before reading any coded data.
//   - [ReadInfo] never reads pixel data (SkipPixelData).
//   - Imports internal/imageio and github.com/suyashkumar/dicom only (and, through cgo, the C
//     codec libraries above). The dicomtest subpackage builds tiny DICOM files, plants markers
//     and compresses files with dcmtk and GDCM's tools for tests.
package dicomio
