package dicomtest

import "encoding/binary"

// J2KHeader describes a hand-made one-component JPEG 2000 codestream (SIZ, COD, QCD, one
// tile-part of 16 zero bytes): what a hostile writer controls in a few dozen header bytes.
type J2KHeader struct {
	W, H, TW, TH int // image and tile size (tile 0 = image size)
	Levels       int // decomposition levels
	Layers       int
	CB           int  // code-block size exponent (2 = 4×4, 6 = 64×64)
	PP           int  // precinct size exponent for every resolution; 0 = the default (2^15)
	TileCOD      bool // repeat the COD, with pp, in the tile-part header only (main header default)
}

// Codestream writes the codestream.
func (c J2KHeader) Codestream() []byte {
	be16 := func(b []byte, v int) []byte { return binary.BigEndian.AppendUint16(b, uint16(v)) }
	be32 := func(b []byte, v int) []byte { return binary.BigEndian.AppendUint32(b, uint32(v)) }
	tw, th := c.TW, c.TH
	if tw == 0 {
		tw, th = c.W, c.H
	}
	b := be16([]byte{0xFF, 0x4F, 0xFF, 0x51}, 41)
	b = be16(b, 0)
	for _, v := range []int{c.W, c.H, 0, 0, tw, th, 0, 0} {
		b = be32(b, v)
	}
	b = append(be16(b, 1), 15, 1, 1) // one unsigned 16-bit component
	cod := func(b []byte, pp int) []byte {
		n := 12
		if pp > 0 {
			n += c.Levels + 1
		}
		b = append(be16(append(b, 0xFF, 0x52), n), byte(min(pp, 1)), 0)
		b = append(be16(b, c.Layers), 0, byte(c.Levels), byte(c.CB-2), byte(c.CB-2), 0, 1)
		for r := 0; pp > 0 && r <= c.Levels; r++ {
			b = append(b, byte(pp<<4|pp))
		}
		return b
	}
	if c.TileCOD {
		b = cod(b, 0)
	} else {
		b = cod(b, c.PP)
	}
	b = append(be16(append(b, 0xFF, 0x5C), 3+3*c.Levels+1), 2<<5)
	for range 3*c.Levels + 1 {
		b = append(b, 10<<3)
	}
	var tph []byte
	if c.TileCOD {
		tph = cod(nil, c.PP)
	}
	body := make([]byte, 16)
	b = be16(append(b, 0xFF, 0x90), 10)
	b = be32(be16(b, 0), 12+len(tph)+2+len(body))
	b = append(append(b, 0, 1), tph...)
	b = append(append(b, 0xFF, 0x93), body...)
	return append(b, 0xFF, 0xD9)
}
