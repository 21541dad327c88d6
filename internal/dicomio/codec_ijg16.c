//go:build cgo && gdcmjpeg

// The 16-bit build of GDCM's IJG libjpeg (libgdcmjpeg16); see codec_ijg.h.
#include <stddef.h>
#include <stdio.h>
#include <gdcmjpeg/16/jpeglib.h>
#include <gdcmjpeg/16/jerror.h>
#define RS_IJG_FN rs_ijg16_decode
#include "codec_ijg.h"
