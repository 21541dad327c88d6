package dicomio

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/frame"
	"github.com/suyashkumar/dicom/pkg/tag"
)

// el is one data element for the hand-made test files.
type el struct {
	group, elem uint16
	vr          string
	value       []byte
}

func strEl(g, e uint16, vr, s string) el {
	b := []byte(s)
	if len(b)%2 == 1 {
		pad := byte(' ')
		if vr == "UI" {
			pad = 0
		}
		b = append(b, pad)
	}
	return el{g, e, vr, b}
}

func usEl(g, e uint16, v uint16) el {
	b := make([]byte, 2)
	binary.LittleEndian.PutUint16(b, v)
	return el{g, e, "US", b}
}

// buildDICOM writes a little-endian DICOM file: Part-10 (preamble, DICM, meta group with the
// transfer syntax) unless raw, then the dataset elements (sorted) in explicit or implicit VR.
// encapsulated, when not nil, becomes an encapsulated PixelData with one fragment.
func buildDICOM(t testing.TB, ts string, raw, implicit bool, elems []el, encapsulated []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	le := binary.LittleEndian
	writeEl := func(w *bytes.Buffer, e el, implicit bool) {
		binary.Write(w, le, e.group)
		binary.Write(w, le, e.elem)
		if implicit {
			binary.Write(w, le, uint32(len(e.value)))
		} else {
			w.WriteString(e.vr)
			switch e.vr {
			case "OB", "OW", "SQ", "UN", "UT":
				w.Write([]byte{0, 0})
				binary.Write(w, le, uint32(len(e.value)))
			default:
				binary.Write(w, le, uint16(len(e.value)))
			}
		}
		w.Write(e.value)
	}
	if !raw {
		buf.Write(make([]byte, 128))
		buf.WriteString("DICM")
		var meta bytes.Buffer
		writeEl(&meta, el{0x0002, 0x0001, "OB", []byte{0, 1}}, false)
		writeEl(&meta, strEl(0x0002, 0x0002, "UI", "1.2.840.10008.5.1.4.1.1.1"), false)
		writeEl(&meta, strEl(0x0002, 0x0003, "UI", "2.25.1"), false)
		writeEl(&meta, strEl(0x0002, 0x0010, "UI", ts), false)
		writeEl(&meta, strEl(0x0002, 0x0012, "UI", "2.25.2"), false)
		gl := make([]byte, 4)
		le.PutUint32(gl, uint32(meta.Len()))
		writeEl(&buf, el{0x0002, 0x0000, "UL", gl}, false)
		buf.Write(meta.Bytes())
	}
	elems = slices.Clone(elems)
	slices.SortFunc(elems, func(a, b el) int {
		return int(uint32(a.group)<<16|uint32(a.elem)) - int(uint32(b.group)<<16|uint32(b.elem))
	})
	for _, e := range elems {
		writeEl(&buf, e, implicit)
	}
	if encapsulated != nil {
		binary.Write(&buf, le, uint16(0x7FE0))
		binary.Write(&buf, le, uint16(0x0010))
		buf.WriteString("OB")
		buf.Write([]byte{0, 0})
		binary.Write(&buf, le, uint32(0xFFFFFFFF))
		item := func(data []byte) {
			binary.Write(&buf, le, uint16(0xFFFE))
			binary.Write(&buf, le, uint16(0xE000))
			binary.Write(&buf, le, uint32(len(data)))
			buf.Write(data)
		}
		item(nil)
		if len(encapsulated)%2 == 1 {
			encapsulated = append(encapsulated, 0)
		}
		item(encapsulated)
		binary.Write(&buf, le, uint16(0xFFFE))
		binary.Write(&buf, le, uint16(0xE0DD))
		binary.Write(&buf, le, uint32(0))
	}
	return buf.Bytes()
}

// imageElems returns the image attributes of a w×h MONOCHROME film with native 16-bit pixels.
func imageElems(w, h int, photometric string, bitsStored int, pixels []uint16) []el {
	pix := make([]byte, 2*len(pixels))
	for i, v := range pixels {
		binary.LittleEndian.PutUint16(pix[2*i:], v)
	}
	return []el{
		strEl(0x0008, 0x0060, "CS", "DX"),
		usEl(0x0028, 0x0002, 1),
		strEl(0x0028, 0x0004, "CS", photometric),
		usEl(0x0028, 0x0010, uint16(h)),
		usEl(0x0028, 0x0011, uint16(w)),
		usEl(0x0028, 0x0100, 16),
		usEl(0x0028, 0x0101, uint16(bitsStored)),
		usEl(0x0028, 0x0102, uint16(bitsStored-1)),
		usEl(0x0028, 0x0103, 0),
		{0x7FE0, 0x0010, "OW", pix},
	}
}

// sharedDICOM returns the folder of the shared DICOM files, failing when it is missing.
func sharedDICOM(t testing.TB) string {
	t.Helper()
	d := os.Getenv("RAYSYNTH_TESTDATA")
	if d == "" {
		d = filepath.Join("..", "..", "..", "shared", "data")
	}
	d = filepath.Join(d, "dicom")
	if _, err := os.Stat(filepath.Join(d, "barre_cr_mono1_10bit_440_nopreamble.dcm")); err != nil {
		t.Fatalf("shared DICOM data not found at %s (set RAYSYNTH_TESTDATA to the shared data folder): %v", d, err)
	}
	return d
}

func mustNative(t *testing.T, ds dicom.Dataset) frame.INativeFrame {
	t.Helper()
	e, err := ds.FindElementByTag(tag.PixelData)
	if err != nil {
		t.Fatal(err)
	}
	nf, err := e.Value.GetValue().(dicom.PixelDataInfo).Frames[0].GetNativeFrame()
	if err != nil {
		t.Fatal(err)
	}
	return nf
}
