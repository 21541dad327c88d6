package dicomio

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/raysynth/raysynth/internal/dicomio/dicomtest"
)

// asUN returns elems with the VR of each element whose VR is in vrs replaced by UN, the way GDCM
// writes attributes of an implicit-VR source when it compresses it.
func asUN(elems []dicomtest.El, vrs ...string) []dicomtest.El {
	out := append([]dicomtest.El(nil), elems...)
	for i := range out {
		for _, vr := range vrs {
			if out[i].VR == vr {
				out[i].VR = "UN"
			}
		}
	}
	return out
}

// Integer attributes sent as UN (Rows, Columns, BitsStored, PixelRepresentation as US; a
// NumberOfFrames as IS) are read as their dictionary VR says: the film decodes exactly as the
// same file with explicit VRs, the memory estimate sees its size, and a multi-frame file is
// still refused naming the cause.
func TestIntegerAttributesSentAsUN(t *testing.T) {
	px := make([]uint16, 24*16)
	for i := range px {
		px[i] = uint16(i * 37 % 4096)
	}
	elems := append(dicomtest.ImageElems(24, 16, "MONOCHROME2", 12, px),
		dicomtest.Str(0x0028, 0x1050, "DS", "1500"), dicomtest.Str(0x0028, 0x1051, "DS", "2000"))
	wantInfo, wantPlane, err := Decode(dicomtest.Build(ExplicitVRLittleEndian, false, false, elems, nil))
	if err != nil {
		t.Fatal(err)
	}
	info, plane, err := Decode(dicomtest.Build(ExplicitVRLittleEndian, false, false, asUN(elems, "US", "DS"), nil))
	if err != nil {
		t.Fatalf("US and DS attributes sent as UN: %v", err)
	}
	if !reflect.DeepEqual(info, wantInfo) || !reflect.DeepEqual(plane, wantPlane) {
		t.Fatalf("sent as UN: %+v, want %+v", info, wantInfo)
	}

	huge := asUN(dicomtest.ImageElems(2, 2, "MONOCHROME2", 12, []uint16{1, 2, 3, 4}), "US")
	huge[3].Value, huge[4].Value = []byte{0x80, 0x3E}, []byte{0x80, 0x3E} // 16000 × 16000
	if _, _, err := Decode(dicomtest.Build(ExplicitVRLittleEndian, false, false, huge, nil)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("16000x16000 film with Rows/Columns sent as UN: %v, want too large", err)
	}

	frames := append(elems, dicomtest.Str(0x0028, 0x0008, "UN", "2"))
	if _, _, err := Decode(dicomtest.Build(ExplicitVRLittleEndian, false, false, frames, nil)); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "2 frames") {
		t.Fatalf("NumberOfFrames 2 sent as UN: %v, want a refusal naming 2 frames", err)
	}
}

// A compressed multi-frame file (a series exported as one object) is refused before any frame is
// decoded, naming the cause, as a native one is.
func TestCompressedMultiFrameRefused(t *testing.T) {
	cs := dicomtest.J2KHeader{W: 64, H: 64, Levels: 2, Layers: 1, CB: 6}.Codestream()
	for _, uid := range []string{JPEG2000Lossless, JPEGLSLossless, JPEGLossless, RLELossless} {
		elems := dicomtest.ImageElems(64, 64, "MONOCHROME2", 12, nil)
		elems = append(elems[:len(elems)-1], dicomtest.Str(0x0028, 0x0008, "IS", "2"))
		_, _, err := Decode(dicomtest.Build(uid, false, false, elems, cs))
		if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "2 frames (a radiograph has one)") {
			t.Errorf("%s with 2 frames: %v, want a refusal naming the frames", uid, err)
		}
	}
}
