package dicomio

import (
	"errors"
	"testing"

	"github.com/raysynth/raysynth/internal/dicomio/dicomtest"
)

// A JPEG 2000 header that asks OpenJPEG for a huge coding structure is refused as too large
// before OpenJPEG reads it. Measured with OpenJPEG 2.5.0 before the check, on headers of under
// 200 bytes: the times and peak RSS in the names. Headers real encoders write pass.
func TestJ2KCodingStructureBounded(t *testing.T) {
	for _, tc := range []struct {
		name string
		hdr  dicomtest.J2KHeader
		want error // nil: passes the check (and decodes, when OpenJPEG is in this build)
	}{
		{"1000 layers, 2x2 precincts (124 s, 1.3 GB)", dicomtest.J2KHeader{W: 1024, H: 1024, Levels: 10, Layers: 1000, CB: 2, PP: 1}, ErrTooLarge},
		{"65535 layers, 2x2 precincts (15 s, 590 MB)", dicomtest.J2KHeader{W: 1024, H: 1024, Levels: 10, Layers: 65535, CB: 6, PP: 1}, ErrTooLarge},
		{"2048² in 2x2 precincts (65 s, 2.4 GB)", dicomtest.J2KHeader{W: 2048, H: 2048, Levels: 5, Layers: 1, CB: 6, PP: 1}, ErrTooLarge},
		{"2048² in 4x4 code-blocks (3 s, 130 MB)", dicomtest.J2KHeader{W: 2048, H: 2048, Levels: 5, Layers: 1, CB: 2}, ErrTooLarge},
		{"8x8 precincts, 100 layers (9 s, 180 MB)", dicomtest.J2KHeader{W: 2048, H: 2048, Levels: 5, Layers: 100, CB: 6, PP: 3}, ErrTooLarge},
		{"2x2 precincts in the tile-part header only", dicomtest.J2KHeader{W: 1024, H: 1024, Levels: 10, Layers: 1000, CB: 6, PP: 1, TileCOD: true}, ErrTooLarge},
		{"4096 tiles, 65535 layers", dicomtest.J2KHeader{W: 1024, H: 1024, TW: 16, TH: 16, Levels: 2, Layers: 65535, CB: 6}, ErrTooLarge},
		{"33 decomposition levels", dicomtest.J2KHeader{W: 1024, H: 1024, Levels: 33, Layers: 1, CB: 6}, ErrMalformed},
		{"one tile, 5 levels, 64x64 code-blocks", dicomtest.J2KHeader{W: 1024, H: 1024, Levels: 5, Layers: 1, CB: 6}, nil},
		{"65535 layers, default precincts", dicomtest.J2KHeader{W: 1024, H: 1024, Levels: 5, Layers: 65535, CB: 6}, nil},
		{"2048² in 8x8 code-blocks", dicomtest.J2KHeader{W: 2048, H: 2048, Levels: 5, Layers: 1, CB: 3}, nil},
		{"225 tiles, 60 layers", dicomtest.J2KHeader{W: 3000, H: 3000, TW: 200, TH: 200, Levels: 6, Layers: 60, CB: 6}, nil},
		{"16x16 precincts, 15 layers", dicomtest.J2KHeader{W: 1024, H: 1024, Levels: 5, Layers: 15, CB: 6, PP: 4}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs := tc.hdr.Codestream()
			err := checkJ2KHeader(cs, tc.hdr.W, tc.hdr.H)
			switch {
			case tc.want == nil && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want == ErrTooLarge && !errors.Is(err, ErrTooLarge):
				t.Fatalf("%v, want too large", err)
			case tc.want == ErrMalformed && (err == nil || errors.Is(err, ErrTooLarge)):
				t.Fatalf("%v, want an invalid header", err)
			}
			if libOpenJP.decode == nil || tc.hdr.W*tc.hdr.H > 1<<22 {
				return
			}
			// Through the DICOM decoder as ingest calls it: the same refusal, as too_large or
			// unreadable; a header that passes decodes (its code-blocks are empty).
			_, _, err = Decode(encapsulate(JPEG2000Lossless, tc.hdr.W, tc.hdr.H, 16, cs))
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
