//go:build cgo && gdcmjpeg

package dicomio

/*
#cgo CFLAGS: -I/usr/include/gdcm-3.0
#cgo LDFLAGS: -lgdcmjpeg8 -lgdcmjpeg12 -lgdcmjpeg16
#include <stddef.h>
int rs_ijg8_decode(const unsigned char *data, size_t size, int want_w, int want_h, unsigned char *out, char *err, size_t errlen);
int rs_ijg12_decode(const unsigned char *data, size_t size, int want_w, int want_h, short *out, char *err, size_t errlen);
int rs_ijg16_decode(const unsigned char *data, size_t size, int want_w, int want_h, unsigned short *out, char *err, size_t errlen);
*/
import "C"

import (
	"fmt"
	"unsafe"
)

var (
	ijgDecode  decodeFunc = decodeIJG
	ijgVersion            = func() string { return "6b (GDCM 3.0 build)" }
)

// decodeIJG decodes lossless (process 14, any predictor) and 12-bit extended JPEG with the IJG
// library built for the codestream's precision: lossy 8 or 12 bits need that exact build; a
// lossless codestream of P bits needs a build of at least P bits.
func decodeIJG(cs []byte, in *Info) ([]int32, int, int, error) {
	prec, w, h, comps, err := jpegFrameHeader(cs)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("%w: JPEG codestream: %v", ErrMalformed, err)
	}
	if w != in.Columns || h != in.Rows || comps != 1 {
		return nil, 0, 0, fmt.Errorf("%w: JPEG codestream is %dx%d with %d components; Rows/Columns say %dx%d of 1 gray component", ErrMalformed, w, h, comps, in.Columns, in.Rows)
	}
	n := w * h
	out := make([]int32, n)
	var errbuf [256]C.char
	src := (*C.uchar)(unsafe.Pointer(unsafe.SliceData(cs)))
	ok := C.int(0)
	switch {
	case prec < 2 || prec > 16:
		return nil, 0, 0, fmt.Errorf("%w: JPEG precision of %d bits", ErrMalformed, prec)
	case prec <= 8:
		buf := make([]byte, n)
		ok = C.rs_ijg8_decode(src, C.size_t(len(cs)), C.int(w), C.int(h), (*C.uchar)(unsafe.Pointer(&buf[0])), &errbuf[0], C.size_t(len(errbuf)))
		for i, v := range buf {
			out[i] = int32(v)
		}
	case prec <= 12:
		buf := make([]uint16, n)
		ok = C.rs_ijg12_decode(src, C.size_t(len(cs)), C.int(w), C.int(h), (*C.short)(unsafe.Pointer(&buf[0])), &errbuf[0], C.size_t(len(errbuf)))
		for i, v := range buf {
			out[i] = int32(v)
		}
	default:
		buf := make([]uint16, n)
		ok = C.rs_ijg16_decode(src, C.size_t(len(cs)), C.int(w), C.int(h), (*C.ushort)(unsafe.Pointer(&buf[0])), &errbuf[0], C.size_t(len(errbuf)))
		for i, v := range buf {
			out[i] = int32(v)
		}
	}
	if ok == 0 {
		return nil, 0, 0, fmt.Errorf("%w: JPEG codestream does not decode: %s", ErrMalformed, C.GoString(&errbuf[0]))
	}
	return out, w, h, nil
}
