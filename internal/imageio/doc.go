// Package imageio reads and writes the images every stage handles: 8-bit gray PNGs in the
// workspace, conversion to and from the float32 tensors the networks use, and (for ingest) decoding
// of PNG and JPEG sources with an area-averaging resize.
//
// # Invariants
//
//   - PNG output is deterministic: the same pixels give the same bytes.
//   - Decoding a source is budgeted in bytes, not pixels: [DecodePlane] reads the header and
//     refuses an image whose decoded buffers would exceed [MaxDecodeBytes] ([ErrTooLarge]).
//   - Files are written atomically through internal/fsutil.
//   - Imports only internal/fsutil.
package imageio
