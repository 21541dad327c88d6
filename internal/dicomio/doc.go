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
// air is dark → [0, 255]. (A Modality LUT Sequence is not applied; RescaleSlope/Intercept is.) Native pixel data (8, 16 or 32 bits
// allocated) and baseline JPEG (1.2.840.10008.1.2.4.50, and 8-bit extended 1.2.840.10008.1.2.4.51)
// are decoded; every other encapsulated transfer syntax (JPEG 2000, JPEG-LS, lossless JPEG, RLE,
// video) is refused with an [UnsupportedTransferSyntaxError] naming the UID and its name.
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
//     docs/dicom-upstream.md).
//   - [ReadInfo] never reads pixel data (SkipPixelData).
//   - Imports internal/imageio and github.com/suyashkumar/dicom only. The dicomtest subpackage
//     builds tiny DICOM files and plants markers for tests.
package dicomio
