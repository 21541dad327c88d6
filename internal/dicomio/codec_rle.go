package dicomio

import (
	"encoding/binary"
	"fmt"
)

// RLE Lossless (PS3.5 Annex G) is written here rather than taken from a library: Debian has no C
// library for it (GDCM and dcmtk carry it inside their C++ codec classes), no maintained pure-Go
// package exists, and the format is a 64-byte header plus PackBits, about fifty lines to decode.
// It is tested bit-exact against dcmtk's dcmcrle and GDCM's gdcmconv --rle output.

// decodeRLE decodes one RLE Lossless frame of a single-sample image of 8 or 16 bits allocated (1
// or 2 segments: the most significant byte first).
func decodeRLE(cs []byte, in *Info) ([]int32, int, int, error) {
	if len(cs) < 64 {
		return nil, 0, 0, fmt.Errorf("%w: RLE header truncated (%d bytes)", ErrMalformed, len(cs))
	}
	nseg := int(binary.LittleEndian.Uint32(cs))
	if want := in.BitsAllocated / 8; nseg != want || (want != 1 && want != 2) {
		return nil, 0, 0, fmt.Errorf("%w: RLE frame has %d segments; %d bits allocated need %d", ErrMalformed, nseg, in.BitsAllocated, want)
	}
	var off [16]int
	for i := 0; i < nseg; i++ {
		off[i] = int(binary.LittleEndian.Uint32(cs[4+4*i:]))
		if off[i] < 64 || off[i] > len(cs) || (i > 0 && off[i] < off[i-1]) {
			return nil, 0, 0, fmt.Errorf("%w: RLE segment %d offset %d outside the frame of %d bytes", ErrMalformed, i+1, off[i], len(cs))
		}
	}
	off[nseg] = len(cs)
	n := in.Columns * in.Rows
	out := make([]int32, n)
	seg := make([]byte, n)
	for s := 0; s < nseg; s++ {
		if err := unpackBits(cs[off[s]:off[s+1]], seg); err != nil {
			return nil, 0, 0, fmt.Errorf("%w: RLE segment %d: %v", ErrMalformed, s+1, err)
		}
		shift := uint(8 * (nseg - 1 - s))
		for i, b := range seg {
			out[i] |= int32(b) << shift
		}
	}
	return out, in.Columns, in.Rows, nil
}

// unpackBits decodes a PackBits segment into dst, which it must fill exactly; bytes decoded past
// the end (some encoders pad a row) are ignored.
func unpackBits(src, dst []byte) error {
	j := 0
	for i := 0; i < len(src) && j < len(dst); {
		c := int(int8(src[i]))
		i++
		switch {
		case c >= 0:
			k := c + 1
			if i+k > len(src) {
				return fmt.Errorf("literal run of %d bytes past the segment's end", k)
			}
			j += copy(dst[j:], src[i:i+k])
			i += k
		case c != -128:
			if i >= len(src) {
				return fmt.Errorf("replicate run without its byte")
			}
			b := src[i]
			i++
			for k := 1 - c; k > 0 && j < len(dst); k-- {
				dst[j] = b
				j++
			}
		}
	}
	if j < len(dst) {
		return fmt.Errorf("segment decodes to %d bytes, the image needs %d", j, len(dst))
	}
	return nil
}
