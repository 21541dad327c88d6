// Package pngtest builds hostile PNG files for tests: images whose header claims far more pixels
// than the file holds, or whose data inflate to far more bytes than the file's size (PNG bombs).
// Test helper: imported only by tests.
package pngtest

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
)

// Zero is a real w×h PNG of zero pixels (colour type, bit depth, bytes per pixel): every row
// is in its IDAT, so it decodes completely; a few hundred kilobytes that decode to hundreds of
// megabytes.
func Zero(w, h uint32, colorType, depth byte, bpp int) []byte {
	row := make([]byte, 1+int(w)*bpp)
	return build(w, h, colorType, depth, func(zw *zlib.Writer) {
		for range h {
			zw.Write(row)
		}
	})
}

// HeaderOnly is a PNG whose IHDR claims w×h pixels of the given colour type and bit depth,
// followed by one short IDAT: a few hundred bytes that make a naive decoder allocate the whole
// image before it finds the data missing.
func HeaderOnly(w, h uint32, colorType, depth byte) []byte {
	return build(w, h, colorType, depth, func(zw *zlib.Writer) { zw.Write(make([]byte, 4096)) })
}

func build(w, h uint32, colorType, depth byte, idat func(*zlib.Writer)) []byte {
	var buf bytes.Buffer
	buf.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&buf, binary.BigEndian, uint32(len(data)))
		c := crc32.NewIEEE()
		c.Write([]byte(typ))
		c.Write(data)
		buf.WriteString(typ)
		buf.Write(data)
		binary.Write(&buf, binary.BigEndian, c.Sum32())
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = depth, colorType
	chunk("IHDR", ihdr)
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestSpeed)
	idat(zw)
	zw.Close() // writes to memory: cannot fail
	chunk("IDAT", z.Bytes())
	chunk("IEND", nil)
	return buf.Bytes()
}
