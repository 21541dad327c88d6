// Package dicomtest builds tiny DICOM files for tests: Part-10 or raw datasets, explicit or
// implicit VR little endian, native or encapsulated pixel data. Test helper only; it writes just
// what the tests need and no more.
package dicomtest

import (
	"bytes"
	"encoding/binary"
	"slices"
)

// El is one data element for the hand-made test files.
type El struct {
	Group, Elem uint16
	VR          string
	Value       []byte
}

// Str is a string element, padded to even length.
func Str(g, e uint16, vr, s string) El {
	b := []byte(s)
	if len(b)%2 == 1 {
		pad := byte(' ')
		if vr == "UI" {
			pad = 0
		}
		b = append(b, pad)
	}
	return El{g, e, vr, b}
}

// US is an unsigned short element.
func US(g, e uint16, v uint16) El {
	b := make([]byte, 2)
	binary.LittleEndian.PutUint16(b, v)
	return El{g, e, "US", b}
}

// Build writes a little-endian DICOM file: Part-10 (preamble, DICM, meta group with the
// transfer syntax) unless raw, then the dataset elements (sorted) in explicit or implicit VR.
// encapsulated, when not nil, becomes an encapsulated PixelData with one fragment.
func Build(ts string, raw, implicit bool, elems []El, encapsulated []byte) []byte {
	var buf bytes.Buffer
	le := binary.LittleEndian
	if !raw {
		buf.Write(make([]byte, 128))
		buf.WriteString("DICM")
		var meta bytes.Buffer
		writeEl(&meta, El{0x0002, 0x0001, "OB", []byte{0, 1}}, false)
		writeEl(&meta, Str(0x0002, 0x0002, "UI", "1.2.840.10008.5.1.4.1.1.1"), false)
		writeEl(&meta, Str(0x0002, 0x0003, "UI", "2.25.1"), false)
		writeEl(&meta, Str(0x0002, 0x0010, "UI", ts), false)
		writeEl(&meta, Str(0x0002, 0x0012, "UI", "2.25.2"), false)
		gl := make([]byte, 4)
		le.PutUint32(gl, uint32(meta.Len()))
		writeEl(&buf, El{0x0002, 0x0000, "UL", gl}, false)
		buf.Write(meta.Bytes())
	}
	elems = slices.Clone(elems)
	slices.SortFunc(elems, func(a, b El) int {
		return int(uint32(a.Group)<<16|uint32(a.Elem)) - int(uint32(b.Group)<<16|uint32(b.Elem))
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

// ImageElems returns the image attributes of a w×h MONOCHROME film with native 16-bit pixels.
func ImageElems(w, h int, photometric string, bitsStored int, pixels []uint16) []El {
	pix := make([]byte, 2*len(pixels))
	for i, v := range pixels {
		binary.LittleEndian.PutUint16(pix[2*i:], v)
	}
	return []El{
		Str(0x0008, 0x0060, "CS", "DX"),
		US(0x0028, 0x0002, 1),
		Str(0x0028, 0x0004, "CS", photometric),
		US(0x0028, 0x0010, uint16(h)),
		US(0x0028, 0x0011, uint16(w)),
		US(0x0028, 0x0100, 16),
		US(0x0028, 0x0101, uint16(bitsStored)),
		US(0x0028, 0x0102, uint16(bitsStored-1)),
		US(0x0028, 0x0103, 0),
		{0x7FE0, 0x0010, "OW", pix},
	}
}

func writeEl(w *bytes.Buffer, e El, implicit bool) {
	le := binary.LittleEndian
	binary.Write(w, le, e.Group)
	binary.Write(w, le, e.Elem)
	if implicit {
		binary.Write(w, le, uint32(len(e.Value)))
	} else {
		w.WriteString(e.VR)
		switch e.VR {
		case "OB", "OW", "SQ", "UN", "UT":
			w.Write([]byte{0, 0})
			binary.Write(w, le, uint32(len(e.Value)))
		default:
			binary.Write(w, le, uint16(len(e.Value)))
		}
	}
	w.Write(e.Value)
}

// Seq is a sequence element (explicit VR little endian) holding one item per element list.
func Seq(g, e uint16, items ...[]El) El {
	var buf bytes.Buffer
	le := binary.LittleEndian
	for _, it := range items {
		var ib bytes.Buffer
		for _, x := range it {
			writeEl(&ib, x, false)
		}
		binary.Write(&buf, le, uint16(0xFFFE))
		binary.Write(&buf, le, uint16(0xE000))
		binary.Write(&buf, le, uint32(ib.Len()))
		buf.Write(ib.Bytes())
	}
	return El{g, e, "SQ", buf.Bytes()}
}

// USList is an element of unsigned shorts.
func USList(g, e uint16, vr string, vs ...uint16) El {
	b := make([]byte, 2*len(vs))
	for i, v := range vs {
		binary.LittleEndian.PutUint16(b[2*i:], v)
	}
	return El{g, e, vr, b}
}

// NestedSequences returns a Part-10 file (explicit VR little endian) whose dataset is depth
// undefined-length sequences nested inside one another, each holding one undefined-length item,
// and nothing closing them: the shape that made the DICOM library's error wrapping quadratic.
func NestedSequences(depth int) []byte {
	var buf bytes.Buffer
	le := binary.LittleEndian
	for range depth {
		binary.Write(&buf, le, uint16(0x0008))
		binary.Write(&buf, le, uint16(0x1115)) // ReferencedSeriesSequence
		buf.WriteString("SQ")
		buf.Write([]byte{0, 0})
		binary.Write(&buf, le, uint32(0xFFFFFFFF))
		binary.Write(&buf, le, uint16(0xFFFE))
		binary.Write(&buf, le, uint16(0xE000))
		binary.Write(&buf, le, uint32(0xFFFFFFFF))
	}
	head := Build("1.2.840.10008.1.2.1", false, false, []El{Str(0x0008, 0x0060, "CS", "DX")}, nil)
	return append(head, buf.Bytes()...)
}

// Header is the header of one explicit VR little endian element claiming length vl, whatever
// follows it: for files that lie about their lengths.
func Header(g, e uint16, vr string, vl uint32) []byte {
	var buf bytes.Buffer
	le := binary.LittleEndian
	binary.Write(&buf, le, g)
	binary.Write(&buf, le, e)
	buf.WriteString(vr)
	switch vr {
	case "OB", "OW", "SQ", "UN", "UT":
		buf.Write([]byte{0, 0})
		binary.Write(&buf, le, vl)
	default:
		binary.Write(&buf, le, uint16(vl))
	}
	return buf.Bytes()
}
