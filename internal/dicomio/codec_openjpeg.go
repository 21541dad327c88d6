//go:build cgo && openjpeg

package dicomio

/*
#cgo pkg-config: libopenjp2
#include <stdlib.h>
#include <string.h>
#include <openjpeg.h>

typedef struct {
	const OPJ_BYTE *data;
	OPJ_SIZE_T size, pos;
	char err[256];
} rs_opj_src;

static OPJ_SIZE_T rs_opj_read(void *buf, OPJ_SIZE_T n, void *u) {
	rs_opj_src *s = u;
	if (s->pos >= s->size) return (OPJ_SIZE_T)-1;
	if (n > s->size - s->pos) n = s->size - s->pos;
	memcpy(buf, s->data + s->pos, n);
	s->pos += n;
	return n;
}

static OPJ_OFF_T rs_opj_skip(OPJ_OFF_T n, void *u) {
	rs_opj_src *s = u;
	if (n < 0) {
		if ((OPJ_SIZE_T)(-n) > s->pos) n = -(OPJ_OFF_T)s->pos;
	} else if ((OPJ_SIZE_T)n > s->size - s->pos) {
		n = (OPJ_OFF_T)(s->size - s->pos);
	}
	s->pos += n;
	return n;
}

static OPJ_BOOL rs_opj_seek(OPJ_OFF_T n, void *u) {
	rs_opj_src *s = u;
	if (n < 0 || (OPJ_SIZE_T)n > s->size) return OPJ_FALSE;
	s->pos = (OPJ_SIZE_T)n;
	return OPJ_TRUE;
}

static void rs_opj_error(const char *msg, void *u) {
	rs_opj_src *s = u;
	if (s->err[0] == 0) {
		strncpy(s->err, msg, sizeof s->err - 1);
		size_t k = strlen(s->err);
		while (k > 0 && (s->err[k-1] == '\n' || s->err[k-1] == ' ')) s->err[--k] = 0;
	}
}

static void rs_opj_quiet(const char *msg, void *u) { (void)msg; (void)u; }

// rs_opj_decode decodes a J2K codestream or JP2 file held in memory. It refuses images whose
// size differs from want_w×want_h or that have several components before decoding any tile, so
// a lying header cannot make it allocate. reduce > 0 asks for the image at resolution level
// 1/2^reduce (fewer if the codestream has fewer levels). On failure it returns NULL with a reason
// in err.
static opj_image_t *rs_opj_decode(const OPJ_BYTE *data, OPJ_SIZE_T size, int want_w, int want_h, int reduce, int threads, char *err, size_t errlen) {
	rs_opj_src src = {data, size, 0, {0}};
	opj_image_t *img = NULL;
	int jp2 = size >= 12 && memcmp(data, "\x00\x00\x00\x0cjP  \r\n\x87\n", 12) == 0;
	opj_codec_t *codec = opj_create_decompress(jp2 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K);
	opj_stream_t *st = opj_stream_create(1 << 16, OPJ_TRUE);
	opj_dparameters_t par;
	if (!codec || !st) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	opj_stream_set_user_data(st, &src, NULL);
	opj_stream_set_user_data_length(st, size);
	opj_stream_set_read_function(st, rs_opj_read);
	opj_stream_set_skip_function(st, rs_opj_skip);
	opj_stream_set_seek_function(st, rs_opj_seek);
	opj_set_error_handler(codec, rs_opj_error, &src);
	opj_set_warning_handler(codec, rs_opj_quiet, &src);
	opj_set_info_handler(codec, rs_opj_quiet, &src);
	opj_set_default_decoder_parameters(&par);
	if (!opj_setup_decoder(codec, &par)) {
		snprintf(err, errlen, "decoder set-up failed");
		goto fail;
	}
	opj_decoder_set_strict_mode(codec, OPJ_TRUE);
	if (threads > 1) opj_codec_set_threads(codec, threads);
	if (!opj_read_header(st, codec, &img)) {
		snprintf(err, errlen, "header: %s", src.err[0] ? src.err : "not a JPEG 2000 codestream");
		goto fail;
	}
	if (img->numcomps != 1) {
		snprintf(err, errlen, "%u components (want 1 gray component)", img->numcomps);
		goto fail;
	}
	if ((long)img->x1 - (long)img->x0 != want_w || (long)img->y1 - (long)img->y0 != want_h) {
		snprintf(err, errlen, "codestream is %ldx%ld but Rows/Columns say %dx%d", (long)img->x1 - (long)img->x0, (long)img->y1 - (long)img->y0, want_w, want_h);
		goto fail;
	}
	if (img->comps[0].prec < 1 || img->comps[0].prec > 16 || img->comps[0].dx != 1 || img->comps[0].dy != 1) {
		snprintf(err, errlen, "component of %u bits subsampled %ux%u (want up to 16 bits, not subsampled)", img->comps[0].prec, img->comps[0].dx, img->comps[0].dy);
		goto fail;
	}
	while (reduce > 0 && !opj_set_decoded_resolution_factor(codec, (OPJ_UINT32)reduce)) reduce--;
	want_w = (int)(((OPJ_UINT64)want_w + (1u << reduce) - 1) >> reduce);
	want_h = (int)(((OPJ_UINT64)want_h + (1u << reduce) - 1) >> reduce);
	if (!opj_decode(codec, st, img) || !opj_end_decompress(codec, st)) {
		snprintf(err, errlen, "%s", src.err[0] ? src.err : "codestream does not decode");
		goto fail;
	}
	if (!img->comps[0].data || img->comps[0].w != (OPJ_UINT32)want_w || img->comps[0].h != (OPJ_UINT32)want_h) {
		snprintf(err, errlen, "decoded component is not %dx%d", want_w, want_h);
		goto fail;
	}
	opj_stream_destroy(st);
	opj_destroy_codec(codec);
	return img;
fail:
	if (img) opj_image_destroy(img);
	if (st) opj_stream_destroy(st);
	if (codec) opj_destroy_codec(codec);
	return NULL;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"
)

var (
	openjpegDecode  decodeFunc = decodeOpenJPEG
	openjpegVersion            = func() string { return C.GoString(C.opj_version()) }
)

// decodeOpenJPEG decodes a JPEG 2000 codestream (J2K, or a JP2 file, which some writers put in
// DICOM) with OpenJPEG, single-threaded: ingest decodes several files at once. With in.minSide
// set, it decodes the lowest resolution level whose shorter side is still at least minSide.
func decodeOpenJPEG(cs []byte, in *Info) ([]int32, int, int, error) {
	if err := checkJ2KHeader(cs, in.Columns, in.Rows); errors.Is(err, ErrTooLarge) {
		return nil, 0, 0, err
	} else if err != nil {
		return nil, 0, 0, fmt.Errorf("%w: JPEG 2000 codestream does not decode: %v", ErrMalformed, err)
	}
	reduce := 0
	for in.minSide > 0 && reduce < 8 && min(in.Columns, in.Rows)>>(reduce+1) >= in.minSide {
		reduce++
	}
	var errbuf [320]C.char
	img := C.rs_opj_decode((*C.OPJ_BYTE)(unsafe.Pointer(unsafe.SliceData(cs))), C.OPJ_SIZE_T(len(cs)), C.int(in.Columns), C.int(in.Rows), C.int(reduce), 1, &errbuf[0], C.size_t(len(errbuf)))
	if img == nil {
		return nil, 0, 0, fmt.Errorf("%w: JPEG 2000 codestream does not decode: %s", ErrMalformed, C.GoString(&errbuf[0]))
	}
	defer C.opj_image_destroy(img)
	comp := img.comps
	w, h := int(comp.w), int(comp.h)
	src := unsafe.Slice((*int32)(unsafe.Pointer(comp.data)), w*h)
	out := make([]int32, w*h)
	copy(out, src)
	if bits := in.BitsStored; bits >= 1 && bits <= 16 && (comp.sgnd != 0) == in.PixelSigned {
		// JPEG 2000 gives true sample values: clamp lossy overshoot to the BitsStored range
		// (masking would wrap 2048 in a signed 12-bit film to -2048), as GDCM does. When the
		// codestream's signedness disagrees with PixelRepresentation the values are bit
		// patterns, which decodeEncapsulated masks and sign-extends.
		lo, hi := int32(0), int32(1)<<bits-1
		if in.PixelSigned {
			lo, hi = -(int32(1) << (bits - 1)), int32(1)<<(bits-1)-1
		}
		for i, v := range out {
			out[i] = min(hi, max(lo, v))
		}
	}
	return out, w, h, nil
}
