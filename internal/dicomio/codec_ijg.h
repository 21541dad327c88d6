// Template for one bit depth of GDCM's IJG libjpeg (gdcmjpeg 8, 12 or 16): the including file
// defines RS_IJG_FN and includes that depth's jpeglib.h first. Each depth is its own translation
// unit because the three jpeglib.h headers define the same types differently.

#include <setjmp.h>
#include <stdio.h>
#include <string.h>

typedef struct {
	struct jpeg_error_mgr pub;
	jmp_buf jump;
	char msg[JMSG_LENGTH_MAX];
} rs_ijg_err;

static void rs_ijg_exit(j_common_ptr c) {
	rs_ijg_err *e = (rs_ijg_err *)c->err;
	if (e->msg[0] == 0) (*c->err->format_message)(c, e->msg);
	longjmp(e->jump, 1);
}

// Warnings (corrupt data, premature end) are kept: a codestream that warns is refused.
static void rs_ijg_emit(j_common_ptr c, int level) {
	rs_ijg_err *e = (rs_ijg_err *)c->err;
	if (level < 0) {
		if (e->msg[0] == 0) (*c->err->format_message)(c, e->msg);
		c->err->num_warnings++;
	}
}

static void rs_ijg_noop(j_decompress_ptr d) { (void)d; }

static const JOCTET rs_ijg_eoi[2] = {0xFF, JPEG_EOI};

static boolean rs_ijg_fill(j_decompress_ptr d) {
	WARNMS(d, JWRN_JPEG_EOF);
	d->src->next_input_byte = rs_ijg_eoi;
	d->src->bytes_in_buffer = 2;
	return TRUE;
}

static void rs_ijg_skip(j_decompress_ptr d, long n) {
	if (n <= 0) return;
	if ((size_t)n > d->src->bytes_in_buffer) {
		rs_ijg_fill(d);
		return;
	}
	d->src->next_input_byte += n;
	d->src->bytes_in_buffer -= n;
}

// RS_IJG_FN decodes a one-component JPEG codestream of want_w×want_h into out (one JSAMPLE per
// pixel). It returns 1, or 0 with a reason in err. The frame header is checked before the
// library allocates its buffers.
int RS_IJG_FN(const unsigned char *data, size_t size, int want_w, int want_h, JSAMPLE *out, char *err, size_t errlen) {
	struct jpeg_decompress_struct d;
	struct jpeg_source_mgr src;
	rs_ijg_err e;
	memset(&d, 0, sizeof d);
	memset(&e, 0, sizeof e);
	d.err = jpeg_std_error(&e.pub);
	e.pub.error_exit = rs_ijg_exit;
	e.pub.emit_message = rs_ijg_emit;
	if (setjmp(e.jump)) {
		snprintf(err, errlen, "%s", e.msg[0] ? e.msg : "JPEG library error");
		jpeg_destroy_decompress(&d);
		return 0;
	}
	jpeg_create_decompress(&d);
	memset(&src, 0, sizeof src);
	src.init_source = rs_ijg_noop;
	src.fill_input_buffer = rs_ijg_fill;
	src.skip_input_data = rs_ijg_skip;
	src.resync_to_restart = jpeg_resync_to_restart;
	src.term_source = rs_ijg_noop;
	src.next_input_byte = data;
	src.bytes_in_buffer = size;
	d.src = &src;
	jpeg_read_header(&d, TRUE);
	if (e.pub.num_warnings) {
		snprintf(err, errlen, "%s", e.msg);
		jpeg_destroy_decompress(&d);
		return 0;
	}
	if (d.num_components != 1 || (int)d.image_width != want_w || (int)d.image_height != want_h) {
		snprintf(err, errlen, "codestream is %ux%u with %d components but Rows/Columns say %dx%d of 1 gray component", d.image_width, d.image_height, d.num_components, want_w, want_h);
		jpeg_destroy_decompress(&d);
		return 0;
	}
	d.out_color_space = JCS_GRAYSCALE;
	jpeg_start_decompress(&d);
	while (d.output_scanline < d.output_height) {
		JSAMPROW row = out + (size_t)d.output_scanline * (size_t)want_w;
		if (jpeg_read_scanlines(&d, &row, 1) != 1) break;
	}
	if (d.output_scanline < d.output_height) {
		snprintf(err, errlen, "decoding stopped at row %u of %u", d.output_scanline, d.output_height);
		jpeg_destroy_decompress(&d);
		return 0;
	}
	jpeg_finish_decompress(&d);
	jpeg_destroy_decompress(&d);
	if (e.pub.num_warnings) {
		snprintf(err, errlen, "%s", e.msg);
		return 0;
	}
	return 1;
}
