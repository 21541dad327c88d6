package dicomio

import (
	"bytes"
	"encoding/binary"
)

// Form is how a byte stream holds a DICOM dataset.
type Form int

// Forms recognised by [Detect].
const (
	NotDICOM Form = iota
	// Part10 is a file with the 128-byte preamble, "DICM" and a file meta group.
	Part10
	// RawDataset is a dataset without preamble or meta header (implicit or explicit VR little
	// endian), common in old archives.
	RawDataset
)

// HeadSize is how many leading bytes [Detect] wants to see (fewer are fine for short files).
const HeadSize = 1024

// Detect recognises a DICOM file from its first bytes (up to [HeadSize]).
func Detect(head []byte) Form {
	if len(head) >= 132 && string(head[128:132]) == "DICM" {
		return Part10
	}
	if bytes.HasPrefix(head, []byte("DICM")) {
		// Preamble stripped but meta header present: also a raw form the parser can read.
		return NotDICOM
	}
	if walkElements(head, true) || walkElements(head, false) {
		return RawDataset
	}
	return NotDICOM
}

// walkElements reports whether head starts with at least two well-formed little-endian data
// elements (or one that fills the head) in ascending tag order, in implicit or explicit VR.
func walkElements(head []byte, implicit bool) bool {
	pos, n := 0, 0
	var prev uint32
	for pos+8 <= len(head) && n < 4 {
		group := binary.LittleEndian.Uint16(head[pos:])
		elem := binary.LittleEndian.Uint16(head[pos+2:])
		t := uint32(group)<<16 | uint32(elem)
		if n == 0 {
			// Datasets start in the meta, identifying, or (rarely) command groups.
			if group != 0x0002 && group != 0x0008 && group != 0x0000 {
				return false
			}
		} else if t <= prev || group > 0x7FE0 || group == 0xFFFE {
			return false
		}
		prev = t
		var length uint32
		hdr := 8
		if implicit {
			length = binary.LittleEndian.Uint32(head[pos+4:])
		} else {
			vr := string(head[pos+4 : pos+6])
			if !validVR(vr) {
				return false
			}
			switch vr {
			case "OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV":
				if pos+12 > len(head) {
					return n >= 1
				}
				length = binary.LittleEndian.Uint32(head[pos+8:])
				hdr = 12
			default:
				length = uint32(binary.LittleEndian.Uint16(head[pos+6:]))
			}
		}
		n++
		if length == 0xFFFFFFFF {
			return n >= 1 && group != 0x0000
		}
		if length > 1<<28 || (length%2 == 1 && implicit) {
			return false
		}
		if elem == 0x0000 && length != 4 {
			return false // group lengths are UL
		}
		next := pos + hdr + int(length)
		if next > len(head) {
			return n >= 2 || (n == 1 && pos == 0 && len(head) >= HeadSize)
		}
		pos = next
	}
	return n >= 2
}

func validVR(vr string) bool {
	switch vr {
	case "AE", "AS", "AT", "CS", "DA", "DS", "DT", "FL", "FD", "IS", "LO", "LT", "OB", "OD", "OF",
		"OL", "OV", "OW", "PN", "SH", "SL", "SQ", "SS", "ST", "SV", "TM", "UC", "UI", "UL", "UN",
		"UR", "US", "UT", "UV":
		return true
	}
	return false
}
