package dicomio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/raysynth/raysynth/internal/dicomio/dicomtest"
)

// hostile builds the files that made the parser allocate gigabytes before the scan existed.
func hostile() map[string]struct {
	data []byte
	want error
} {
	px := []uint16{1, 2, 3, 4}
	film := dicomtest.Build(ExplicitVRLittleEndian, false, false, dicomtest.ImageElems(2, 2, "MONOCHROME2", 16, px), nil)
	withTail := func(tail ...[]byte) []byte {
		head := dicomtest.Build(ExplicitVRLittleEndian, false, false, []dicomtest.El{dicomtest.Str(0x0008, 0x0060, "CS", "DX")}, nil)
		return append(head, bytes.Join(tail, nil)...)
	}
	// Many empty private elements: each costs the library a few hundred bytes.
	var many bytes.Buffer
	for i := range 120_000 {
		many.Write(dicomtest.Header(0x0009, uint16(0x1000+i%0x1000), "LO", 0))
	}
	// A raw dataset (no meta header) in explicit VR whose first element, read as implicit VR
	// (the library's first guess), claims 4 GB: "LO" and its 2-byte length make the 4-byte one.
	rawLie := dicomtest.Header(0x0008, 0x0070, "LO", 0xFEFF)
	rawLie = append(rawLie, bytes.Repeat([]byte{'A'}, 0xFEFF)...)
	// A film claiming 16000 × 16000 pixels with a tiny pixel data value.
	huge := dicomtest.ImageElems(2, 2, "MONOCHROME2", 16, px)
	huge[3] = dicomtest.US(0x0028, 0x0010, 16000)
	huge[4] = dicomtest.US(0x0028, 0x0011, 16000)
	return map[string]struct {
		data []byte
		want error
	}{
		"nested sequences 1000":          {dicomtest.NestedSequences(1000), ErrMalformed},
		"nested sequences 5000":          {dicomtest.NestedSequences(5000), ErrMalformed},
		"string claims 4 GB":             {withTail(dicomtest.Header(0x0010, 0x4000, "UT", 0xFFFFFFF0)), ErrMalformed},
		"bytes claim 2 GB":               {withTail(dicomtest.Header(0x0009, 0x1010, "OB", 0x7FFFFFF0)), ErrMalformed},
		"pixel data claims 4 GB":         {append(film[:len(film)-20], dicomtest.Header(0x7FE0, 0x0010, "OW", 0xFFFFFFFE)...), ErrMalformed},
		"undefined-length string":        {withTail(dicomtest.Header(0x0010, 0x4000, "UT", 0xFFFFFFFF)), ErrMalformed},
		"item longer than its parent":    {withTail(dicomtest.Header(0x0008, 0x1115, "SQ", 16), []byte{0xFE, 0xFF, 0x00, 0xE0, 0x00, 0x00, 0x10, 0x00}, make([]byte, 8)), ErrMalformed},
		"fragment claims 4 GB":           {withTail(dicomtest.Header(0x0009, 0x1010, "OB", 0xFFFFFFFF), []byte{0xFE, 0xFF, 0x00, 0xE0, 0xF0, 0xFF, 0xFF, 0xFF}), ErrMalformed},
		"120000 elements":                {withTail(many.Bytes()), ErrTooLarge},
		"raw dataset lying to the guess": {append(append(rawLie, dicomtest.Header(0x0008, 0x0080, "LO", 4)...), "ACME"...), ErrMalformed},
		"16000 x 16000 film":             {dicomtest.Build(ExplicitVRLittleEndian, false, false, huge, nil), ErrTooLarge},
	}
}

// Every hostile file is refused by Decode, ReadInfo and ReadInfoFile with the right sentinel,
// having allocated a few megabytes at most.
func TestHostileFilesRefusedWithinBudget(t *testing.T) {
	dir := t.TempDir()
	for name, tc := range hostile() {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, "f.dcm")
			if err := os.WriteFile(path, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, _, derr := Decode(tc.data)
			_, ferr := ReadInfoFile(path)
			runtime.ReadMemStats(&after)
			if !errors.Is(derr, tc.want) {
				t.Errorf("Decode: %v, want %v", derr, tc.want)
			}
			// ReadInfoFile skips the pixel data, so only the parse itself can be over budget.
			if tc.want == ErrMalformed || name == "120000 elements" {
				if !errors.Is(ferr, tc.want) {
					t.Errorf("ReadInfoFile: %v, want %v", ferr, tc.want)
				}
			}
			if got := after.TotalAlloc - before.TotalAlloc; got > 16<<20+4*uint64(len(tc.data)) {
				t.Errorf("allocated %d MB refusing a %d-byte file", got>>20, len(tc.data))
			}
		})
	}
}

// Real nesting (sequences within sequences, defined and undefined lengths) stays readable.
func TestNestedSequencesWithinLimitsDecode(t *testing.T) {
	px := []uint16{1, 2, 3, 4}
	inner := dicomtest.Seq(0x0008, 0x1199, []dicomtest.El{dicomtest.Str(0x0008, 0x1150, "UI", "1.2.3")})
	outer := dicomtest.Seq(0x0008, 0x1115, []dicomtest.El{inner}, []dicomtest.El{dicomtest.Str(0x0020, 0x000E, "UI", "1.2.4")})
	data := dicomtest.Build(ExplicitVRLittleEndian, false, false, append(dicomtest.ImageElems(2, 2, "MONOCHROME2", 16, px), outer), nil)
	if _, _, err := Decode(data); err != nil {
		t.Fatal(err)
	}
	// Fifteen undefined-length sequences, each with an undefined-length item, closed properly.
	var nest bytes.Buffer
	le := binary.LittleEndian
	for range 15 {
		nest.Write(dicomtest.Header(0x0008, 0x1115, "SQ", 0xFFFFFFFF))
		binary.Write(&nest, le, []uint16{0xFFFE, 0xE000, 0xFFFF, 0xFFFF})
	}
	for range 15 {
		binary.Write(&nest, le, []uint16{0xFFFE, 0xE00D, 0, 0, 0xFFFE, 0xE0DD, 0, 0})
	}
	elems := dicomtest.ImageElems(2, 2, "MONOCHROME2", 16, px)
	head := dicomtest.Build(ExplicitVRLittleEndian, false, false, elems[:len(elems)-1], nil)
	pix := dicomtest.Build(ExplicitVRLittleEndian, true, false, elems[len(elems)-1:], nil)
	data = append(append(head, nest.Bytes()...), pix...)
	fp, err := Scan(bytes.NewReader(data), int64(len(data)), Part10, DefaultLimits)
	if err != nil || fp.PixelBytes != 8 || fp.Rows != 2 || fp.Columns != 2 {
		t.Fatalf("Scan: %+v, %v", fp, err)
	}
	if _, _, err := Decode(data); err != nil {
		t.Fatal(err)
	}
}
