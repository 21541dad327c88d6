//go:build cgo && charls

package dicomio

/*
#cgo pkg-config: charls
#include <stdio.h>
#include <charls/charls.h>

// rs_jls_decode decodes a JPEG-LS codestream into dst (8-bit samples when bits <= 8, else 16-bit
// little-endian host order). With dst NULL it only reads the header into w, h, bits and comps.
static int rs_jls_decode(const void *src, size_t n, void *dst, size_t dstlen, int *w, int *h, int *bits, int *comps, char *err, size_t errlen) {
	charls_jpegls_decoder *d = charls_jpegls_decoder_create();
	charls_jpegls_errc e;
	charls_frame_info fi;
	int ok = 0;
	if (!d) {
		snprintf(err, errlen, "out of memory");
		return 0;
	}
	if ((e = charls_jpegls_decoder_set_source_buffer(d, src, n)) != 0) goto fail;
	if ((e = charls_jpegls_decoder_read_header(d)) != 0) goto fail;
	if ((e = charls_jpegls_decoder_get_frame_info(d, &fi)) != 0) goto fail;
	*w = (int)fi.width;
	*h = (int)fi.height;
	*bits = fi.bits_per_sample;
	*comps = fi.component_count;
	if (dst) {
		size_t need = 0;
		if ((e = charls_jpegls_decoder_get_destination_size(d, 0, &need)) != 0) goto fail;
		if (need > dstlen) {
			snprintf(err, errlen, "decoded frame needs %zu bytes, the image has %zu", need, dstlen);
			charls_jpegls_decoder_destroy(d);
			return 0;
		}
		if ((e = charls_jpegls_decoder_decode_to_buffer(d, dst, need, 0)) != 0) goto fail;
	}
	ok = 1;
fail:
	if (!ok) snprintf(err, errlen, "%s", charls_get_error_message(e));
	charls_jpegls_decoder_destroy(d);
	return ok;
}
*/
import "C"

import (
	"fmt"
	"unsafe"
)

var (
	charlsDecode  decodeFunc = decodeCharLS
	charlsVersion            = func() string { return C.GoString(C.charls_get_version_string()) }
)

// decodeCharLS decodes a JPEG-LS (lossless or near-lossless) codestream with CharLS. The header
// is checked against Rows/Columns before any pixel buffer is allocated.
func decodeCharLS(cs []byte, in *Info) ([]int32, int, int, error) {
	// CharLS 2.4.1 spends minutes on some truncated near-lossless streams (55 s for a 440² film
	// cut in half); a complete codestream ends with an EOI marker, then at most DICOM's padding.
	if !endsWithEOI(cs) {
		return nil, 0, 0, fmt.Errorf("%w: JPEG-LS codestream truncated (no end-of-image marker)", ErrMalformed)
	}
	var w, h, bits, comps C.int
	var errbuf [256]C.char
	src := unsafe.Pointer(unsafe.SliceData(cs))
	if C.rs_jls_decode(src, C.size_t(len(cs)), nil, 0, &w, &h, &bits, &comps, &errbuf[0], C.size_t(len(errbuf))) == 0 {
		return nil, 0, 0, fmt.Errorf("%w: JPEG-LS codestream does not decode: %s", ErrMalformed, C.GoString(&errbuf[0]))
	}
	if int(w) != in.Columns || int(h) != in.Rows || comps != 1 || bits < 2 || bits > 16 {
		return nil, 0, 0, fmt.Errorf("%w: JPEG-LS codestream is %dx%d, %d components of %d bits; Rows/Columns say %dx%d of 1 gray component", ErrMalformed, w, h, comps, bits, in.Columns, in.Rows)
	}
	n := in.Columns * in.Rows
	out := make([]int32, n)
	if bits <= 8 {
		buf := make([]byte, n)
		if C.rs_jls_decode(src, C.size_t(len(cs)), unsafe.Pointer(&buf[0]), C.size_t(n), &w, &h, &bits, &comps, &errbuf[0], C.size_t(len(errbuf))) == 0 {
			return nil, 0, 0, fmt.Errorf("%w: JPEG-LS codestream does not decode: %s", ErrMalformed, C.GoString(&errbuf[0]))
		}
		for i, v := range buf {
			out[i] = int32(v)
		}
		return out, in.Columns, in.Rows, nil
	}
	buf := make([]uint16, n)
	if C.rs_jls_decode(src, C.size_t(len(cs)), unsafe.Pointer(&buf[0]), C.size_t(2*n), &w, &h, &bits, &comps, &errbuf[0], C.size_t(len(errbuf))) == 0 {
		return nil, 0, 0, fmt.Errorf("%w: JPEG-LS codestream does not decode: %s", ErrMalformed, C.GoString(&errbuf[0]))
	}
	for i, v := range buf {
		out[i] = int32(v)
	}
	return out, in.Columns, in.Rows, nil
}
