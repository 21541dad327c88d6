// Package synth samples trained generators into synthetic candidate images: fixed counts or counts
// that balance the classes, written as PNG and, on request, as DICOM Secondary Capture files
// marked synthetic.
//
// # Imports
//
// train and internal/... of this module.
//
// # Invariants
//
//   - The same checkpoint and seed give byte-identical images.
//   - Every synthetic DICOM carries SyntheticData YES, ConversionType SYN, BurnedInAnnotation NO,
//     fresh UIDs and obviously synthetic patient values.
//   - A run builds the whole synth/ folder aside and swaps it in when complete.
//   - [Generators] gives privacy (as its privacy.Generator) the same images [Run] writes for a seed and sample.
package synth
