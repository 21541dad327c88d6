package dicomio

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/raysynth/raysynth/internal/dicomio/dicomtest"
	"github.com/raysynth/raysynth/internal/imageio"
	"github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"
)

func decodeFile(t *testing.T, name string) (*Info, imageio.Plane) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(sharedDICOM(t), name))
	if err != nil {
		t.Fatal(err)
	}
	info, p, err := Decode(b)
	if err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return info, p
}

func TestSharedFiles(t *testing.T) {
	for _, tc := range []struct {
		name        string
		form        Form
		ts          string
		photometric string
		w, h        int
	}{
		{"nih_gcp_dx_native_mono2_1024.dcm", Part10, ImplicitVRLittleEndian, "MONOCHROME2", 1024, 1024},
		{"siim_cr_jpegbaseline_mono2_1024.dcm", Part10, JPEGBaseline, "MONOCHROME2", 1024, 1024},
		{"siim_cr_jpegbaseline_mono1flag_1024_modified.dcm", Part10, JPEGBaseline, "MONOCHROME1", 1024, 1024},
		{"barre_cr_mono1_10bit_440_nopreamble.dcm", RawDataset, "", "MONOCHROME1", 440, 440},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(sharedDICOM(t), tc.name))
			if err != nil {
				t.Fatal(err)
			}
			if got := Detect(b[:HeadSize]); got != tc.form {
				t.Fatalf("Detect = %v, want %v", got, tc.form)
			}
			info, p, err := Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			if info.TransferSyntaxUID != tc.ts || info.Photometric != tc.photometric || p.W != tc.w || p.H != tc.h {
				t.Fatalf("got ts %q %s %dx%d, want %q %s %dx%d", info.TransferSyntaxUID, info.Photometric, p.W, p.H, tc.ts, tc.photometric, tc.w, tc.h)
			}
			lo, hi := float32(255), float32(0)
			for _, v := range p.Pix {
				lo, hi = min(lo, v), max(hi, v)
			}
			if lo < 0 || hi > 255 || hi-lo < 100 {
				t.Fatalf("rendered range [%v, %v]: want a spread inside [0, 255]", lo, hi)
			}
			if err := info.CheckChest(); err != nil {
				t.Fatal(err)
			}
			fi, err := ReadInfoFile(filepath.Join(sharedDICOM(t), tc.name))
			if err == nil {
				// The decode estimate counts at least the file, its pixels and the plane.
				if min := int64(len(b)) + int64(4*p.W*p.H); fi.DecodeBytes < min {
					t.Errorf("DecodeBytes %d, want at least %d", fi.DecodeBytes, min)
				}
				fi.DecodeBytes = 0
			}
			if err != nil || !reflect.DeepEqual(fi, info) {
				t.Fatalf("ReadInfoFile: %+v, %v; want %+v", fi, err, info)
			}
		})
	}
}

// The modified SIIM file has the same JPEG pixels as its MONOCHROME2 twin but says MONOCHROME1,
// so it must come out as the exact inverse.
func TestMonochrome1FlagIsInverseOfTwin(t *testing.T) {
	_, p2 := decodeFile(t, "siim_cr_jpegbaseline_mono2_1024.dcm")
	_, p1 := decodeFile(t, "siim_cr_jpegbaseline_mono1flag_1024_modified.dcm")
	for i := range p2.Pix {
		if math.Abs(float64(p1.Pix[i]+p2.Pix[i]-255)) > 1e-3 {
			t.Fatalf("pixel %d: %v + %v != 255", i, p1.Pix[i], p2.Pix[i])
		}
	}
}

// regions returns the mean of the lung fields, the mediastinum and the whole image of a plane.
func regions(p imageio.Plane) (lungs, mediastinum float64) {
	mean := func(x0, x1, y0, y1 float64) float64 {
		s, c := 0.0, 0.0
		for y := int(y0 * float64(p.H)); y < int(y1*float64(p.H)); y++ {
			for x := int(x0 * float64(p.W)); x < int(x1*float64(p.W)); x++ {
				s += float64(p.Pix[y*p.W+x])
				c++
			}
		}
		return s / c
	}
	return (mean(0.18, 0.38, 0.25, 0.6) + mean(0.62, 0.82, 0.25, 0.6)) / 2, mean(0.45, 0.55, 0.25, 0.6)
}

// A genuine MONOCHROME1 film (bright air as stored) and the MONOCHROME2 films come out with lungs
// darker than the mediastinum.
func TestDarkLungs(t *testing.T) {
	for _, name := range []string{"barre_cr_mono1_10bit_440_nopreamble.dcm", "nih_gcp_dx_native_mono2_1024.dcm", "siim_cr_jpegbaseline_mono2_1024.dcm"} {
		t.Run(name, func(t *testing.T) {
			_, p := decodeFile(t, name)
			g, err := imageio.Normalize(p, 64, imageio.AspectCrop)
			if err != nil {
				t.Fatal(err)
			}
			lungs, med := regions(imageio.PlaneFromImage(g))
			if lungs+30 > med {
				t.Fatalf("lung fields %.0f, mediastinum %.0f: want lungs clearly darker", lungs, med)
			}
		})
	}
	// Without the MONOCHROME1 inversion the genuine MONOCHROME1 film would show bright lungs.
	b, _ := os.ReadFile(filepath.Join(sharedDICOM(t), "barre_cr_mono1_10bit_440_nopreamble.dcm"))
	info, p, _ := Decode(b)
	info.Photometric = "MONOCHROME2"
	p.Invert()
	lungs, med := regions(p)
	if lungs < med {
		t.Fatalf("stored MONOCHROME1 pixels already had dark lungs (%.0f < %.0f): the test proves nothing", lungs, med)
	}
}

func TestRender(t *testing.T) {
	for _, tc := range []struct {
		name   string
		info   Info
		stored []int32
		want   []float32
	}{
		{"stored range stretched", Info{Photometric: "MONOCHROME2", RescaleSlope: 1}, []int32{100, 200, 300}, []float32{0, 127.5, 255}},
		{"MONOCHROME1 inverted", Info{Photometric: "MONOCHROME1", RescaleSlope: 1}, []int32{100, 200, 300}, []float32{255, 127.5, 0}},
		{"rescale before window", Info{Photometric: "MONOCHROME2", RescaleSlope: 2, RescaleIntercept: -1000, HasWindow: true, WindowCenter: 0.5, WindowWidth: 101},
			[]int32{450, 475, 500, 525, 550}, []float32{0, 0, 127.5, 255, 255}},
		{"window clamps", Info{Photometric: "MONOCHROME2", RescaleSlope: 1, HasWindow: true, WindowCenter: 40.5, WindowWidth: 41}, []int32{0, 20, 40, 60, 100}, []float32{0, 0, 127.5, 255, 255}},
		{"constant image", Info{Photometric: "MONOCHROME2", RescaleSlope: 1}, []int32{7, 7}, []float32{0, 0}},
		{"sigmoid window", Info{Photometric: "MONOCHROME2", RescaleSlope: 1, HasWindow: true, WindowCenter: 100, WindowWidth: 50, VOIFunction: "SIGMOID"},
			[]int32{100, 1000, -1000}, []float32{127.5, 255, 0}},
		{"linear exact window", Info{Photometric: "MONOCHROME2", RescaleSlope: 1, HasWindow: true, WindowCenter: 100, WindowWidth: 50, VOIFunction: "LINEAR_EXACT"},
			[]int32{75, 100, 125, 126}, []float32{0, 127.5, 255, 255}},
		{"VOI LUT clamps at both ends", Info{Photometric: "MONOCHROME2", RescaleSlope: 1, VOILUT: []float64{0, 0.5, 1}, VOILUTFirst: 10},
			[]int32{0, 10, 11, 12, 99}, []float32{0, 0, 127.5, 255, 255}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := Render(tc.stored, len(tc.stored), 1, &tc.info)
			for i := range tc.want {
				if math.Abs(float64(p.Pix[i]-tc.want[i])) > 1e-3 {
					t.Fatalf("got %v, want %v", p.Pix, tc.want)
				}
			}
		})
	}
}

func TestBitsStoredAndSign(t *testing.T) {
	// 12 bits stored at the top of 16 (HighBit 15) with junk in the low bits, and a signed case.
	px := []uint16{0x0003, 0xFFF0, 0x8000 | 0x000F, 0x1230}
	elems := dicomtest.ImageElems(4, 1, "MONOCHROME2", 12, px)
	for i := range elems {
		if elems[i].Group == 0x0028 && elems[i].Elem == 0x0102 {
			elems[i] = dicomtest.US(0x0028, 0x0102, 15)
		}
	}
	data := dicomtest.Build(ExplicitVRLittleEndian, false, false, elems, nil)
	info, err := ReadInfo(data)
	if err != nil {
		t.Fatal(err)
	}
	ds, _, err := parse(data, false)
	if err != nil {
		t.Fatal(err)
	}
	p, err := render(ds, info)
	if err != nil {
		t.Fatal(err)
	}
	// Stored values: 0, 4095, 2048, 291 → stretched over [0, 4095].
	want := []float32{0, 255, 2048 * 255 / 4095., 291 * 255 / 4095.}
	for i := range want {
		if math.Abs(float64(p.Pix[i]-want[i])) > 1e-2 {
			t.Fatalf("unsigned: got %v, want %v", p.Pix, want)
		}
	}
	info.PixelSigned = true // now 2048 is -2048 (the minimum) and 4095 is -1
	e, _ := ds.FindElementByTag(tag.PixelData)
	stored, err := rawSamples(e.Value.GetValue().(dicom.PixelDataInfo).UnprocessedValueData, info)
	if err != nil {
		t.Fatal(err)
	}
	if stored[1] != -1 || stored[2] != -2048 || stored[3] != 291 {
		t.Fatalf("signed stored values %v", stored)
	}
}

func TestUnsupportedTransferSyntaxNamed(t *testing.T) {
	for uid, name := range map[string]string{
		"1.2.840.10008.1.2.4.100": "MPEG2 Main Profile",
		"1.2.840.10008.1.2.4.92":  "JPEG 2000 Part 2 Multi-component",
		"1.2.840.10008.1.2.4.93":  "JPEG 2000 Part 2 Multi-component Image Compression",
	} {
		t.Run(name, func(t *testing.T) {
			elems := dicomtest.ImageElems(2, 2, "MONOCHROME2", 16, nil)
			elems = elems[:len(elems)-1]
			data := dicomtest.Build(uid, false, false, elems, []byte{0xFF, 0x4F, 0xFF, 0x51, 1, 2})
			_, _, err := Decode(data)
			var ute *UnsupportedTransferSyntaxError
			if !errors.As(err, &ute) || !errors.Is(err, ErrUnsupported) {
				t.Fatalf("err = %v, want UnsupportedTransferSyntaxError", err)
			}
			if !strings.Contains(err.Error(), uid) || !strings.Contains(err.Error(), name) {
				t.Fatalf("message %q does not name %s (%s)", err, uid, name)
			}
		})
	}
}

func TestRawImplicitDataset(t *testing.T) {
	px := make([]uint16, 16)
	for i := range px {
		px[i] = uint16(i * 60)
	}
	data := dicomtest.Build("", true, true, append(dicomtest.ImageElems(4, 4, "MONOCHROME1", 10, px), dicomtest.Str(0x0008, 0x0016, "UI", "1.2.840.10008.5.1.4.1.1.1")), nil)
	if Detect(data) != RawDataset {
		t.Fatal("raw implicit dataset not detected")
	}
	_, p, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if p.Pix[0] != 255 || p.Pix[15] != 0 {
		t.Fatalf("MONOCHROME1 raw: first %v last %v, want 255 and 0", p.Pix[0], p.Pix[15])
	}
}

func TestDetectRejectsOtherFiles(t *testing.T) {
	for name, b := range map[string][]byte{
		"empty": nil,
		"text":  []byte("image,label,patient\na.png,normal,1\n"),
		"png":   []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
		"zeros": make([]byte, 2048),
	} {
		if f := Detect(b); f != NotDICOM {
			t.Errorf("%s: Detect = %v, want NotDICOM", name, f)
		}
	}
}

func TestTruncatedAndMalformed(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(sharedDICOM(t), "nih_gcp_dx_native_mono2_1024.dcm"))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{200, 600, len(b) / 2, len(b) - 10} {
		_, _, err := Decode(b[:n])
		if err == nil {
			t.Fatalf("truncated to %d bytes: decoded without error", n)
		}
		if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) {
			t.Fatalf("truncated to %d bytes: %v, want ErrMalformed", n, err)
		}
	}
}

func TestCheckChest(t *testing.T) {
	for _, tc := range []struct {
		modality, body string
		ok             bool
	}{{"CR", "CHEST", true}, {"DX", "", true}, {"", "", true}, {"CT", "CHEST", false}, {"DX", "HAND", false}, {"CR", "PORTABLE CHEST", true}} {
		err := (&Info{Modality: tc.modality, BodyPartExamined: tc.body}).CheckChest()
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrNotChest)) {
			t.Errorf("%s/%s: %v", tc.modality, tc.body, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	px := []uint16{1, 2, 3, 4}
	f.Add(dicomtest.Build(ExplicitVRLittleEndian, false, false, dicomtest.ImageElems(2, 2, "MONOCHROME2", 16, px), nil))
	f.Add(dicomtest.Build("", true, true, dicomtest.ImageElems(2, 2, "MONOCHROME1", 12, px), nil))
	f.Add([]byte("DICM"))
	for _, b := range sequenceSeeds() {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		info, p, err := Decode(b)
		if err == nil && (info == nil || len(p.Pix) != p.W*p.H) {
			t.Fatal("success without a plane")
		}
	})
}

// A VOI LUT Sequence (and no window) maps modality values through the LUT.
func TestVOILUTSequence(t *testing.T) {
	px := []uint16{0, 1, 2, 3, 4, 5, 6, 7}
	lut := dicomtest.Seq(0x0028, 0x3010, []dicomtest.El{
		dicomtest.USList(0x0028, 0x3002, "US", 4, 2, 8), // 4 entries, first maps value 2, 8 bits
		dicomtest.USList(0x0028, 0x3006, "OW", 0, 255, 51, 102),
	})
	data := dicomtest.Build(ExplicitVRLittleEndian, false, false, append(dicomtest.ImageElems(8, 1, "MONOCHROME2", 12, px), lut), nil)
	info, p, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if info.VOILUT == nil || info.VOILUTFirst != 2 {
		t.Fatalf("VOI LUT not read: %+v", info)
	}
	want := []float32{0, 0, 0, 255, 51, 102, 102, 102}
	for i := range want {
		if math.Abs(float64(p.Pix[i]-want[i])) > 1e-3 {
			t.Fatalf("got %v, want %v", p.Pix, want)
		}
	}
}

// sequenceSeeds are fuzz seeds with sequences: nested within and beyond the limits, defined and
// undefined lengths, a VOI LUT Sequence, and each hostile file of the scan tests.
func sequenceSeeds() [][]byte {
	px := []uint16{1, 2, 3, 4}
	lut := dicomtest.Seq(0x0028, 0x3010, []dicomtest.El{
		dicomtest.USList(0x0028, 0x3002, "US", 4, 2, 8),
		dicomtest.USList(0x0028, 0x3006, "OW", 0, 255, 51, 102),
	})
	inner := dicomtest.Seq(0x0008, 0x1199, []dicomtest.El{dicomtest.Str(0x0008, 0x1150, "UI", "1.2.3")})
	outer := dicomtest.Seq(0x0008, 0x1115, []dicomtest.El{inner}, []dicomtest.El{dicomtest.Str(0x0020, 0x000E, "UI", "1.2.4")})
	seeds := [][]byte{
		dicomtest.Build(ExplicitVRLittleEndian, false, false, append(dicomtest.ImageElems(2, 2, "MONOCHROME2", 16, px), lut), nil),
		dicomtest.Build(ExplicitVRLittleEndian, false, false, append(dicomtest.ImageElems(2, 2, "MONOCHROME2", 16, px), outer), nil),
		dicomtest.Build("", true, true, append(dicomtest.ImageElems(2, 2, "MONOCHROME1", 12, px), outer), nil),
		dicomtest.NestedSequences(8),
		dicomtest.NestedSequences(40),
	}
	for _, h := range hostile() {
		if len(h.data) < 64<<10 {
			seeds = append(seeds, h.data)
		}
	}
	return seeds
}

// FuzzReadInfoFile runs the on-disk header reader (scan, then a parse that skips the pixels).
func FuzzReadInfoFile(f *testing.F) {
	px := []uint16{1, 2, 3, 4}
	f.Add(dicomtest.Build(ExplicitVRLittleEndian, false, false, dicomtest.ImageElems(2, 2, "MONOCHROME2", 16, px), nil))
	f.Add(dicomtest.Build("", true, true, dicomtest.ImageElems(2, 2, "MONOCHROME1", 12, px), nil))
	for _, b := range sequenceSeeds() {
		f.Add(b)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(dir, "f.dcm")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		info, err := ReadInfoFile(path)
		if err == nil && (info.Rows <= 0 || info.Columns <= 0 || info.DecodeBytes < int64(len(b))) {
			t.Fatalf("success with %+v", info)
		}
		if err != nil && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrNoPixelData) {
			t.Fatalf("error outside the package's sentinels: %v", err)
		}
	})
}
