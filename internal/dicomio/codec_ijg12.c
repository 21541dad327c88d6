//go:build cgo && gdcmjpeg

// The 12-bit build of GDCM's IJG libjpeg (libgdcmjpeg12); see codec_ijg.h.
#include <stddef.h>
#include <stdio.h>
#include <gdcmjpeg/12/jpeglib.h>
#include <gdcmjpeg/12/jerror.h>
#define RS_IJG_FN rs_ijg12_decode
#include "codec_ijg.h"
