package dicomio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// Bounds on the coding structure of a JPEG 2000 film, checked in Go before OpenJPEG sees the
// codestream. OpenJPEG builds its tile, precinct and code-block structures and its packet
// iterator from the header alone, before it reads any coded data, so a codestream of a few
// hundred bytes can ask for gigabytes and minutes: measured with OpenJPEG 2.5.0, a 1024² header
// with 1,000 layers and 2×2 precincts took 124 s and 1.3 GB, a 2048² one with 2×2 precincts
// 65 s and 2.4 GB, while it decodes nothing. Encoders write one tile or a few hundred, at most
// a few dozen layers, precincts of 64 samples or more and code-blocks of 16 to 64: a 2,000×2,500
// film coded that finely has about 20,000 code-blocks and 50,000 packets. Measured at these
// bounds, OpenJPEG's structures take under 60 MB and its packet walk under 2 s.
const (
	maxJ2KTiles      = 4096    // a fuzzed header asking for millions took 5.5 s in opj_read_header
	maxJ2KCodeBlocks = 1 << 17 // about 330 bytes each in OpenJPEG, allocated before decoding
	maxJ2KPrecincts  = 1 << 16 // precincts of all subbands, each with two tag trees
	maxJ2KPackets    = 1 << 20 // layers × precincts: each is one step of the packet walk (~0.4 µs empty)
	maxJ2KInclusion  = 1 << 22 // OpenJPEG's packet iterator keeps (layers+1)×resolutions×precincts flags
)

// j2kCoding is what a COD or COC marker segment sets for the one component: decomposition
// levels, code-block size exponents, precinct size exponents per resolution (ppy<<4 | ppx), and,
// from COD only, the number of quality layers.
type j2kCoding struct {
	levels, xcb, ycb int
	pp               [33]byte
	layers           int
}

// apply applies a COD (coc false) or COC marker segment's body (after its length).
func (c *j2kCoding) apply(seg []byte, coc bool) error {
	if coc { // Ccoc (one byte with fewer than 257 components), Scoc, then SPcoc
		if len(seg) < 2 {
			return errors.New("COC marker segment truncated")
		}
		seg = seg[1:]
	} else { // Scod, SGcod (progression, layers, MCT), then SPcod
		if len(seg) < 5 {
			return errors.New("COD marker segment truncated")
		}
		c.layers = int(binary.BigEndian.Uint16(seg[2:]))
		seg = append(seg[:1:1], seg[5:]...)
	}
	// seg is now Scod/Scoc followed by SPcod/SPcoc.
	if len(seg) < 6 {
		return errors.New("coding style marker segment truncated")
	}
	c.levels, c.xcb, c.ycb = int(seg[1]), int(seg[2]&15)+2, int(seg[3]&15)+2
	if c.levels > 32 {
		return fmt.Errorf("%d decomposition levels (at most 32)", c.levels)
	}
	for r := range c.pp {
		c.pp[r] = 0xFF // default precincts: 2^15 × 2^15
	}
	if seg[0]&1 != 0 {
		if len(seg) < 6+c.levels+1 {
			return errors.New("precinct sizes truncated")
		}
		for r := 0; r <= c.levels; r++ {
			c.pp[r] = seg[6+r]
			if r > 0 && (c.pp[r]&15 == 0 || c.pp[r]>>4 == 0) {
				return errors.New("precinct size of 1 above the lowest resolution")
			}
		}
	}
	return nil
}

// checkJ2KHeader reads the marker segments of a JPEG 2000 codestream (or of the codestream box
// of a JP2 file) before OpenJPEG parses anything. It refuses a size other than w×h, several
// components, an invalid tile grid or coding style, and, wrapping [ErrTooLarge], a coding
// structure over the bounds above (tiles, code-blocks, precincts, packets), counted as OpenJPEG
// will build it from the main header and each tile's first tile-part header.
func checkJ2KHeader(cs []byte, w, h int) error {
	i := bytes.Index(cs[:min(len(cs), 4096)], []byte{0xFF, 0x4F, 0xFF, 0x51})
	if i < 0 {
		return errors.New("no start-of-codestream and SIZ markers")
	}
	s := cs[i+4:]
	if len(s) < 38 {
		return errors.New("SIZ marker segment truncated")
	}
	u32 := func(o int) int64 { return int64(binary.BigEndian.Uint32(s[o:])) }
	xsiz, ysiz, xo, yo := u32(4), u32(8), u32(12), u32(16)
	xt, yt, xto, yto := u32(20), u32(24), u32(28), u32(32)
	comps := int(binary.BigEndian.Uint16(s[36:]))
	switch {
	case xsiz-xo != int64(w) || ysiz-yo != int64(h):
		return fmt.Errorf("codestream is %dx%d but Rows/Columns say %dx%d", xsiz-xo, ysiz-yo, w, h)
	case comps != 1:
		return fmt.Errorf("%d components (want 1 gray component)", comps)
	case xt == 0 || yt == 0 || xto > xo || yto > yo || xto+xt <= xo || yto+yt <= yo:
		return errors.New("invalid tile grid")
	}
	tw, th := (xsiz-xto+xt-1)/xt, (ysiz-yto+yt-1)/yt
	if tiles := tw * th; tiles > maxJ2KTiles {
		return fmt.Errorf("%w: JPEG 2000 codestream of %d tiles (at most %d)", ErrTooLarge, tiles, maxJ2KTiles)
	}

	// The main header up to the first tile-part: COD, and COC for component 0, which overrides it.
	pos := i + 4 + int(binary.BigEndian.Uint16(s))
	segments := func(pos int, stop uint16) (cod, coc []byte, end int, err error) {
		for {
			if pos+4 > len(cs) || cs[pos] != 0xFF {
				return nil, nil, 0, errors.New("marker segments truncated")
			}
			m := binary.BigEndian.Uint16(cs[pos:])
			if m == stop {
				return cod, coc, pos, nil
			}
			n := int(binary.BigEndian.Uint16(cs[pos+2:]))
			if n < 2 || pos+2+n > len(cs) {
				return nil, nil, 0, fmt.Errorf("marker %04X segment truncated", m)
			}
			switch m {
			case 0xFF52:
				cod = cs[pos+4 : pos+2+n]
			case 0xFF53:
				coc = cs[pos+4 : pos+2+n]
			}
			pos += 2 + n
		}
	}
	cod, coc, pos, err := segments(pos, 0xFF90)
	if err != nil {
		return err
	}
	if cod == nil {
		return errors.New("no COD marker segment in the main header")
	}
	var main j2kCoding
	if err := main.apply(cod, false); err != nil {
		return err
	}
	if coc != nil {
		if err := main.apply(coc, true); err != nil {
			return err
		}
	}

	// Tile-part headers: a tile's COD and COC override the main header's, in that order.
	tileCoding := map[int]j2kCoding{}
	for parts := 0; pos+12 <= len(cs) && parts < maxJ2KTiles*255; parts++ {
		if binary.BigEndian.Uint16(cs[pos:]) != 0xFF90 {
			break
		}
		start, isot, psot := pos, int(binary.BigEndian.Uint16(cs[pos+4:])), int64(binary.BigEndian.Uint32(cs[pos+6:]))
		cod, coc, _, err := segments(pos+2+int(binary.BigEndian.Uint16(cs[pos+2:])), 0xFF93)
		if err != nil {
			break // OpenJPEG reports the broken tile-part
		}
		if cod != nil || coc != nil {
			c, ok := tileCoding[isot]
			if !ok {
				c = main
			}
			for k, seg := range [][]byte{cod, coc} {
				if seg == nil {
					continue
				}
				if err := c.apply(seg, k == 1); err != nil {
					return fmt.Errorf("tile %d: %w", isot, err)
				}
			}
			tileCoding[isot] = c
		}
		if psot < 14 || int64(start)+psot > int64(len(cs)) {
			break
		}
		pos = start + int(psot)
	}

	var cblks, precs, packets int64
	for q := int64(0); q < th; q++ {
		for p := int64(0); p < tw; p++ {
			c, ok := tileCoding[int(q*tw+p)]
			if !ok {
				c = main
			}
			x0, x1 := max(xto+p*xt, xo), min(xto+(p+1)*xt, xsiz)
			y0, y1 := max(yto+q*yt, yo), min(yto+(q+1)*yt, ysiz)
			b, pr, pk, incl := c.structure(x0, y0, x1, y1)
			cblks, precs, packets = cblks+b, precs+pr, packets+pk
			switch {
			case cblks > maxJ2KCodeBlocks:
				return fmt.Errorf("%w: JPEG 2000 coding structure of more than %d code-blocks", ErrTooLarge, maxJ2KCodeBlocks)
			case precs > maxJ2KPrecincts:
				return fmt.Errorf("%w: JPEG 2000 coding structure of more than %d precincts", ErrTooLarge, maxJ2KPrecincts)
			case packets > maxJ2KPackets || incl > maxJ2KInclusion:
				return fmt.Errorf("%w: JPEG 2000 coding structure of more than %d packets (%d quality layers)", ErrTooLarge, maxJ2KPackets, c.layers)
			}
		}
	}
	return nil
}

// structure counts what OpenJPEG allocates and walks for one tile (x0,y0)-(x1,y1) of the
// reference grid coded with c: code-blocks and precincts of all subbands, packets (layers ×
// precincts of each resolution), and the packet iterator's inclusion flags.
func (c *j2kCoding) structure(x0, y0, x1, y1 int64) (cblks, precs, packets, incl int64) {
	numres := c.levels + 1
	var maxPrec int64
	for r := 0; r < numres; r++ {
		level := numres - 1 - r
		rx0, rx1 := ceilShift(x0, level), ceilShift(x1, level)
		ry0, ry1 := ceilShift(y0, level), ceilShift(y1, level)
		ppx, ppy := int(c.pp[r]&15), int(c.pp[r]>>4)
		var n int64
		if rx0 < rx1 && ry0 < ry1 {
			n = (ceilShift(rx1, ppx) - rx0>>ppx) * (ceilShift(ry1, ppy) - ry0>>ppy)
		}
		maxPrec = max(maxPrec, n)
		packets += int64(c.layers) * n
		cbw, cbh := min(c.xcb, ppx), min(c.ycb, ppy)
		bands := [][2]int64{{0, 0}}
		n2 := level // the subbands' decomposition level
		if r > 0 {
			cbw, cbh = min(c.xcb, ppx-1), min(c.ycb, ppy-1)
			bands = [][2]int64{{1, 0}, {0, 1}, {1, 1}}
			n2 = level + 1
		}
		for _, b := range bands {
			var off [2]int64
			if n2 > 0 {
				off = [2]int64{b[0] << (n2 - 1), b[1] << (n2 - 1)}
			}
			bx0, bx1 := ceilShift(x0-off[0], n2), ceilShift(x1-off[0], n2)
			by0, by1 := ceilShift(y0-off[1], n2), ceilShift(y1-off[1], n2)
			if bx0 < bx1 && by0 < by1 {
				cblks += (ceilShift(bx1, cbw) - bx0>>cbw) * (ceilShift(by1, cbh) - by0>>cbh)
			}
			precs += n
		}
	}
	return cblks, precs, packets, int64(c.layers+1) * int64(numres) * maxPrec
}

// ceilShift is ⌈v / 2^n⌉ for any sign of v.
func ceilShift(v int64, n int) int64 {
	if v < 0 {
		return -(-v >> n)
	}
	return (v + 1<<n - 1) >> n
}
