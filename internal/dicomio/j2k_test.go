package dicomio

import (
	"encoding/binary"
	"errors"
	"testing"
)

// j2kHeader describes a hand-made one-component JPEG 2000 codestream: what a hostile writer
// controls in a few dozen header bytes.
type j2kHeader struct {
	w, h, tw, th int // image and tile size (tile 0 = image size)
	levels       int // decomposition levels
	layers       int
	cb           int  // code-block size exponent (2 = 4×4, 6 = 64×64)
	pp           int  // precinct size exponent for every resolution; 0 = the default (2^15)
	tileCOD      bool // repeat the COD, with pp, in the tile-part header only (main header default)
}

func (c j2kHeader) codestream() []byte {
	be16 := func(b []byte, v int) []byte { return binary.BigEndian.AppendUint16(b, uint16(v)) }
	be32 := func(b []byte, v int) []byte { return binary.BigEndian.AppendUint32(b, uint32(v)) }
	tw, th := c.tw, c.th
	if tw == 0 {
		tw, th = c.w, c.h
	}
	b := be16([]byte{0xFF, 0x4F, 0xFF, 0x51}, 41)
	b = be16(b, 0)
	for _, v := range []int{c.w, c.h, 0, 0, tw, th, 0, 0} {
		b = be32(b, v)
	}
	b = append(be16(b, 1), 15, 1, 1) // one unsigned 16-bit component
	cod := func(b []byte, pp int) []byte {
		n := 12
		if pp > 0 {
			n += c.levels + 1
		}
		b = append(be16(append(b, 0xFF, 0x52), n), byte(min(pp, 1)), 0)
		b = append(be16(b, c.layers), 0, byte(c.levels), byte(c.cb-2), byte(c.cb-2), 0, 1)
		for r := 0; pp > 0 && r <= c.levels; r++ {
			b = append(b, byte(pp<<4|pp))
		}
		return b
	}
	if c.tileCOD {
		b = cod(b, 0)
	} else {
		b = cod(b, c.pp)
	}
	b = append(be16(append(b, 0xFF, 0x5C), 3+3*c.levels+1), 2<<5)
	for range 3*c.levels + 1 {
		b = append(b, 10<<3)
	}
	var tph []byte
	if c.tileCOD {
		tph = cod(nil, c.pp)
	}
	body := make([]byte, 16)
	b = be16(append(b, 0xFF, 0x90), 10)
	b = be32(be16(b, 0), 12+len(tph)+2+len(body))
	b = append(append(b, 0, 1), tph...)
	b = append(append(b, 0xFF, 0x93), body...)
	return append(b, 0xFF, 0xD9)
}

// A JPEG 2000 header that asks OpenJPEG for a huge coding structure is refused as too large
// before OpenJPEG reads it. Measured with OpenJPEG 2.5.0 before the check, on headers of under
// 200 bytes: the times and peak RSS in the names. Headers real encoders write pass.
func TestJ2KCodingStructureBounded(t *testing.T) {
	for _, tc := range []struct {
		name string
		hdr  j2kHeader
		want error // nil: passes the check (and decodes, when OpenJPEG is in this build)
	}{
		{"1000 layers, 2x2 precincts (124 s, 1.3 GB)", j2kHeader{w: 1024, h: 1024, levels: 10, layers: 1000, cb: 2, pp: 1}, ErrTooLarge},
		{"65535 layers, 2x2 precincts (15 s, 590 MB)", j2kHeader{w: 1024, h: 1024, levels: 10, layers: 65535, cb: 6, pp: 1}, ErrTooLarge},
		{"2048² in 2x2 precincts (65 s, 2.4 GB)", j2kHeader{w: 2048, h: 2048, levels: 5, layers: 1, cb: 6, pp: 1}, ErrTooLarge},
		{"2048² in 4x4 code-blocks (3 s, 130 MB)", j2kHeader{w: 2048, h: 2048, levels: 5, layers: 1, cb: 2}, ErrTooLarge},
		{"8x8 precincts, 100 layers (9 s, 180 MB)", j2kHeader{w: 2048, h: 2048, levels: 5, layers: 100, cb: 6, pp: 3}, ErrTooLarge},
		{"2x2 precincts in the tile-part header only", j2kHeader{w: 1024, h: 1024, levels: 10, layers: 1000, cb: 6, pp: 1, tileCOD: true}, ErrTooLarge},
		{"4096 tiles, 65535 layers", j2kHeader{w: 1024, h: 1024, tw: 16, th: 16, levels: 2, layers: 65535, cb: 6}, ErrTooLarge},
		{"33 decomposition levels", j2kHeader{w: 1024, h: 1024, levels: 33, layers: 1, cb: 6}, ErrMalformed},
		{"one tile, 5 levels, 64x64 code-blocks", j2kHeader{w: 1024, h: 1024, levels: 5, layers: 1, cb: 6}, nil},
		{"65535 layers, default precincts", j2kHeader{w: 1024, h: 1024, levels: 5, layers: 65535, cb: 6}, nil},
		{"2048² in 8x8 code-blocks", j2kHeader{w: 2048, h: 2048, levels: 5, layers: 1, cb: 3}, nil},
		{"225 tiles, 60 layers", j2kHeader{w: 3000, h: 3000, tw: 200, th: 200, levels: 6, layers: 60, cb: 6}, nil},
		{"16x16 precincts, 15 layers", j2kHeader{w: 1024, h: 1024, levels: 5, layers: 15, cb: 6, pp: 4}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs := tc.hdr.codestream()
			err := checkJ2KHeader(cs, tc.hdr.w, tc.hdr.h)
			switch {
			case tc.want == nil && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want == ErrTooLarge && !errors.Is(err, ErrTooLarge):
				t.Fatalf("%v, want too large", err)
			case tc.want == ErrMalformed && (err == nil || errors.Is(err, ErrTooLarge)):
				t.Fatalf("%v, want an invalid header", err)
			}
			if libOpenJP.decode == nil || tc.hdr.w*tc.hdr.h > 1<<22 {
				return
			}
			// Through the DICOM decoder as ingest calls it: the same refusal, as too_large or
			// unreadable; a header that passes decodes (its code-blocks are empty).
			_, _, err = Decode(encapsulate(JPEG2000Lossless, tc.hdr.w, tc.hdr.h, 16, cs))
			switch {
			case tc.want == nil && err != nil:
				t.Fatalf("Decode: %v", err)
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Fatalf("Decode: %v, want %v", err, tc.want)
			}
			t.Logf("Decode: %v", err)
		})
	}
}
