//go:build cgo && gdcmjpeg

// The 8-bit build of GDCM's IJG libjpeg (libgdcmjpeg8); see codec_ijg.h.
#include <stddef.h>
#include <stdio.h>
#include <gdcmjpeg/8/jpeglib.h>
#include <gdcmjpeg/8/jerror.h>
#define RS_IJG_FN rs_ijg8_decode
#include "codec_ijg.h"
