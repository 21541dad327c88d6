//go:build cgo && libpng

package imageio

/*
#cgo pkg-config: libpng
#include <png.h>
#include <stdio.h>
#include <string.h>

typedef struct { const unsigned char *p; size_t n, off; } rs_png_src;

static void rs_png_read(png_structp png, png_bytep out, size_t len) {
	rs_png_src *s = (rs_png_src *)png_get_io_ptr(png);
	if (s->n - s->off < len) png_error(png, "file ends early");
	memcpy(out, s->p + s->off, len);
	s->off += len;
}

static void rs_png_error(png_structp png, png_const_charp msg) {
	snprintf((char *)png_get_error_ptr(png), 200, "%s", msg);
	png_longjmp(png, 1);
}

static void rs_png_warn(png_structp png, png_const_charp msg) { (void)png; (void)msg; }

// rs_png_gray8 decodes an 8-bit grayscale, non-interlaced PNG without transparency into dst
// (w×h bytes, w and h from the header the caller read): 1 when done, 2 when the file is of
// another kind (the caller decodes it itself), 0 on an error described in err (200 bytes). No
// transformation is asked for, so the samples are the file's own (gAMA and the like are
// ignored, as Go's image/png does); every chunk's CRC is checked.
static int rs_png_gray8(const void *src, size_t n, unsigned char *dst, unsigned w, unsigned h, char *err) {
	png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, err, rs_png_error, rs_png_warn);
	if (!png) {
		snprintf(err, 200, "out of memory");
		return 0;
	}
	png_infop info = png_create_info_struct(png);
	if (!info) {
		png_destroy_read_struct(&png, NULL, NULL);
		snprintf(err, 200, "out of memory");
		return 0;
	}
	rs_png_src s = {src, n, 0};
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_read_struct(&png, &info, NULL);
		return 0;
	}
	png_set_read_fn(png, &s, rs_png_read);
	png_set_crc_action(png, PNG_CRC_ERROR_QUIT, PNG_CRC_ERROR_QUIT);
	png_set_user_limits(png, w, h);
	png_read_info(png, info);
	png_uint_32 pw, ph;
	int depth, ctype, interlace;
	png_get_IHDR(png, info, &pw, &ph, &depth, &ctype, &interlace, NULL, NULL);
	if (depth != 8 || ctype != PNG_COLOR_TYPE_GRAY || interlace != PNG_INTERLACE_NONE || png_get_valid(png, info, PNG_INFO_tRNS)) {
		png_destroy_read_struct(&png, &info, NULL);
		return 2;
	}
	if (pw != w || ph != h) {
		png_destroy_read_struct(&png, &info, NULL);
		snprintf(err, 200, "header changed between reads");
		return 0;
	}
	for (unsigned y = 0; y < h; y++) png_read_row(png, dst + (size_t)y * w, NULL);
	png_read_end(png, NULL);
	png_destroy_read_struct(&png, &info, NULL);
	return 1;
}
*/
import "C"

import (
	"encoding/binary"
	"errors"
	"image"
	"unsafe"
)

// decodeGray8PNG decodes data with libpng when it is an 8-bit grayscale, non-interlaced PNG
// without transparency (the usual form of a radiograph, NIH ChestX-ray14's included): ok is
// false for any other PNG, which Go's image/png decodes. libpng (with zlib) decodes such a film
// about twice as fast as image/png, whose inflate dominates ingest's CPU time (issue 20).
// The caller has checked the header with [Estimate], so the size is within the budget.
func decodeGray8PNG(data []byte) (img *image.Gray, ok bool, err error) {
	// IHDR is the first chunk (Estimate checked it): width, height, depth, colour type, …, interlace.
	if len(data) < 33 || string(data[12:16]) != "IHDR" {
		return nil, false, nil
	}
	w, h := binary.BigEndian.Uint32(data[16:20]), binary.BigEndian.Uint32(data[20:24])
	if data[24] != 8 || data[25] != 0 || data[28] != 0 || w == 0 || h == 0 || uint64(w)*uint64(h) > MaxPixels {
		return nil, false, nil
	}
	img = image.NewGray(image.Rect(0, 0, int(w), int(h)))
	var msg [200]C.char
	switch C.rs_png_gray8(unsafe.Pointer(unsafe.SliceData(data)), C.size_t(len(data)), (*C.uchar)(unsafe.SliceData(img.Pix)), C.uint(w), C.uint(h), &msg[0]) {
	case 1:
		return img, true, nil
	case 2:
		return nil, false, nil
	}
	return nil, true, errors.New("png: " + C.GoString(&msg[0]))
}
