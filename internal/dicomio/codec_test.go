package dicomio

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/raysynth/raysynth/internal/dicomio/dicomtest"
	"github.com/raysynth/raysynth/internal/imageio"
	"github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/frame"
	"github.com/suyashkumar/dicom/pkg/tag"
)

// storedOf decodes a DICOM file the way [Decode] does and also returns the stored values (after
// BitsStored masking, before the Modality LUT), which lossless codecs must reproduce exactly.
func storedOf(data []byte) (*Info, []int32, imageio.Plane, error) {
	info, plane, err := Decode(data)
	if err != nil {
		return info, nil, plane, err
	}
	ds, _, err := parse(data, false)
	if err != nil {
		return nil, nil, plane, err
	}
	el, err := ds.FindElementByTag(tag.PixelData)
	if err != nil {
		return nil, nil, plane, err
	}
	pdi := el.Value.GetValue().(dicom.PixelDataInfo)
	var stored []int32
	if pdi.IntentionallyUnprocessed {
		stored, err = rawSamples(pdi.UnprocessedValueData, info)
	} else {
		stored, _, _, err = decodeEncapsulated(pdi.Frames, info)
	}
	return info, stored, plane, err
}

// codecSource is an uncompressed Part-10 film the codec tests compress.
type codecSource struct {
	name string
	bits int
	data []byte
}

var (
	sourcesOnce sync.Once
	sources     []codecSource
	sourcesErr  error
)

// codecSources returns the uncompressed films the codec fixtures are made from: the shared 10-bit
// CR (rewritten as Part-10 explicit VR by dcmconv), the shared 8-bit DX, and a 16-bit film whose
// top 10 bits are the CR's and low 6 bits a fixed pseudo-random pattern (no shared film uses all
// 16 bits; the noise keeps it as hard to compress as a real detector's output).
func codecSources(t testing.TB) []codecSource {
	t.Helper()
	dir := sharedDICOM(t)
	sourcesOnce.Do(func() {
		raw, err := os.ReadFile(filepath.Join(dir, "barre_cr_mono1_10bit_440_nopreamble.dcm"))
		if err != nil {
			sourcesErr = err
			return
		}
		cr, err := dicomtest.Run([]string{"dcmconv", "-f", "+te"}, raw)
		if err != nil {
			sourcesErr = err
			return
		}
		dx, err := os.ReadFile(filepath.Join(dir, "nih_gcp_dx_native_mono2_1024.dcm"))
		if err != nil {
			sourcesErr = err
			return
		}
		info, stored, _, err := storedOf(cr)
		if err != nil {
			sourcesErr = err
			return
		}
		sources = []codecSource{{"cr-10bit", 10, cr}, {"dx-8bit", 8, dx}, {"synthetic-16bit", 16, film16(stored, info.Columns, info.Rows, 1)},
			{"signed-12bit", 12, filmSigned12(stored, info.Columns, info.Rows)}}
	})
	if sourcesErr != nil {
		t.Fatal(sourcesErr)
	}
	return sources
}

// film16 makes a 16-bit MONOCHROME2 Part-10 film from 10-bit stored values, with a seeded
// pseudo-random low 6 bits.
func film16(stored []int32, w, h int, seed uint32) []byte {
	px := make([]uint16, len(stored))
	x := seed*2654435761 + 1
	for i, v := range stored {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		px[i] = uint16(v)<<6 | uint16(x&63)
	}
	elems := append(dicomtest.ImageElems(w, h, "MONOCHROME2", 16, px),
		dicomtest.Str(0x0008, 0x0016, "UI", "1.2.840.10008.5.1.4.1.1.1.1"),
		dicomtest.Str(0x0008, 0x0018, "UI", fmt.Sprintf("2.25.%d", 1000+seed)),
		dicomtest.Str(0x0010, 0x0020, "LO", fmt.Sprintf("SYNTH-%d", seed)),
		dicomtest.Str(0x0018, 0x0015, "CS", "CHEST"),
		dicomtest.Str(0x0020, 0x000D, "UI", fmt.Sprintf("2.25.%d", 2000+seed)))
	return dicomtest.Build(ExplicitVRLittleEndian, false, false, elems, nil)
}

// filmSigned12 makes a signed 12-bit film (PixelRepresentation 1, values -2048…2047 stored in 16
// bits as two's complement) from 10-bit stored values, as CT-like modalities and some DX write.
func filmSigned12(stored []int32, w, h int) []byte {
	px := make([]uint16, len(stored))
	for i, v := range stored {
		px[i] = uint16(int16(v*4 - 2048))
	}
	elems := dicomtest.ImageElems(w, h, "MONOCHROME2", 16, px)
	for i := range elems {
		switch {
		case elems[i].Group == 0x0028 && elems[i].Elem == 0x0101:
			elems[i] = dicomtest.US(0x0028, 0x0101, 12)
		case elems[i].Group == 0x0028 && elems[i].Elem == 0x0102:
			elems[i] = dicomtest.US(0x0028, 0x0102, 11)
		case elems[i].Group == 0x0028 && elems[i].Elem == 0x0103:
			elems[i] = dicomtest.US(0x0028, 0x0103, 1)
		}
	}
	elems = append(elems,
		dicomtest.Str(0x0008, 0x0016, "UI", "1.2.840.10008.5.1.4.1.1.1.1"),
		dicomtest.Str(0x0008, 0x0018, "UI", "2.25.3001"),
		dicomtest.Str(0x0010, 0x0020, "LO", "SIGNED-1"),
		dicomtest.Str(0x0018, 0x0015, "CS", "CHEST"),
		dicomtest.Str(0x0020, 0x000D, "UI", "2.25.3002"))
	return dicomtest.Build(ExplicitVRLittleEndian, false, false, elems, nil)
}

// codecFixture caches the compressed files made in this test run.
var codecFixtures sync.Map

func codecFixture(t testing.TB, src codecSource, e dicomtest.Encoder) []byte {
	t.Helper()
	key := src.name + "/" + e.Name
	if b, ok := codecFixtures.Load(key); ok {
		return b.([]byte)
	}
	b, err := dicomtest.Encode(e, src.data)
	if err != nil {
		t.Fatal(err)
	}
	if ts := transferSyntaxOf(t, b); ts != e.UID {
		t.Fatalf("%s wrote transfer syntax %s, want %s", strings.Join(e.Args, " "), ts, e.UID)
	}
	codecFixtures.Store(key, b)
	return b
}

func transferSyntaxOf(t testing.TB, b []byte) string {
	t.Helper()
	info, err := ReadInfo(b)
	if err != nil {
		t.Fatal(err)
	}
	return info.TransferSyntaxUID
}

// Every encoder's output decodes: lossless ones to exactly the stored values (and the rendered
// plane) of the uncompressed file; lossy ones exactly as the reference tool decodes them and
// within the stated tolerance of the original. A build without a codec's library refuses its
// transfer syntaxes with a MissingCodecError naming the Debian package.
func TestCodecsAgainstUncompressed(t *testing.T) {
	for _, src := range codecSources(t) {
		wantInfo, want, wantPlane, err := storedOf(src.data)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range dicomtest.Encoders {
			if e.MaxBits != 0 && src.bits > e.MaxBits {
				continue // JPEG extended codes at most 12 bits
			}
			if e.Unsigned && strings.HasPrefix(src.name, "signed") {
				continue
			}
			t.Run(src.name+"/"+e.Name, func(t *testing.T) {
				b := codecFixture(t, src, e)
				lib := codecs[e.UID]
				info, got, plane, err := storedOf(b)
				if lib.decode == nil || (e.UID == JPEGExtended && src.bits > 8 && libIJG.decode == nil) {
					var mce *MissingCodecError
					if !errors.As(err, &mce) || !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), mce.Package) {
						t.Fatalf("build without the codec: err = %v, want a MissingCodecError naming the package", err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if info.TransferSyntaxUID != e.UID {
					t.Fatalf("transfer syntax %s", info.TransferSyntaxUID)
				}
				if !e.Lossy {
					// The attributes ingest reads survive, also where GDCM writes them as UN.
					if info.PatientID != wantInfo.PatientID || info.StudyInstanceUID != wantInfo.StudyInstanceUID || info.Modality != wantInfo.Modality ||
						info.WindowCenter != wantInfo.WindowCenter || info.WindowWidth != wantInfo.WindowWidth || info.RescaleSlope != wantInfo.RescaleSlope {
						t.Fatalf("attributes differ from the uncompressed file's: %+v, want %+v", info, wantInfo)
					}
					if d := maxAbsDiff(got, want); d != 0 {
						t.Fatalf("lossless decode differs from the uncompressed file by up to %d", d)
					}
					for i := range plane.Pix {
						if plane.Pix[i] != wantPlane.Pix[i] {
							t.Fatalf("rendered pixel %d: %v, uncompressed file gives %v", i, plane.Pix[i], wantPlane.Pix[i])
						}
					}
					return
				}
				ref, err := dicomtest.Run(e.Reference, b)
				if err != nil {
					t.Fatal(err)
				}
				_, refStored, _, err := storedOf(ref)
				if err != nil {
					t.Fatal(err)
				}
				vsRef, maxDiff := maxAbsDiff(got, refStored), maxAbsDiff(got, want)
				psnr := planePSNR(plane, wantPlane)
				t.Logf("%s %s: max |Δ| %d against %s's decode; stored max |Δ| %d, rendered PSNR %.1f dB against the original", src.name, e.Name, vsRef, e.Reference[0], maxDiff, psnr)
				tol := lossyTolerance[e.UID]
				if e.UID == JPEGExtended && src.bits == 8 {
					tol.vsReference = 1 // Go's IDCT rounds differently from IJG's
				}
				if e.UID == JPEG2000 && strings.HasPrefix(src.name, "signed") {
					// Lossy overshoot past the signed 12-bit range: raysynth clamps it to
					// -2048…2047; GDCM's decode differs there by up to 8 (measured).
					tol.vsReference = 8
				}
				if vsRef > tol.vsReference {
					t.Fatalf("differs from %s's decode by up to %d (tolerance %d)", e.Reference[0], vsRef, tol.vsReference)
				}
				if (tol.maxDiff > 0 && maxDiff > tol.maxDiff) || psnr < tol.minPSNR {
					t.Fatalf("stored max |Δ| %d (limit %d), rendered PSNR %.1f dB (limit %.0f) against the original", maxDiff, tol.maxDiff, psnr, tol.minPSNR)
				}
			})
		}
	}
}

// lossyTolerance states how close lossy decodes must be: to the reference tool's decode of the
// same file (dcmtk's for JPEG and JPEG-LS, GDCM's for JPEG 2000), and to the original: the PSNR
// of the rendered 0–255 plane (dcmcjpeg rescales 10-bit films to 12 bits and adjusts the window,
// so stored values are not comparable there), and for near-lossless JPEG-LS the NEAR bound itself.
var lossyTolerance = map[string]struct {
	vsReference int     // max |Δ| of stored values against the reference decoder
	maxDiff     int     // max |Δ| of stored values against the original (0: not bounded)
	minPSNR     float64 // dB, rendered plane against the original's
}{
	JPEGExtended:       {vsReference: 0, minPSNR: 40},
	JPEGLSNearLossless: {vsReference: 0, maxDiff: 2, minPSNR: 40},
	JPEG2000:           {vsReference: 0, minPSNR: 40},
}

func maxAbsDiff(a, b []int32) int {
	if len(a) != len(b) {
		return math.MaxInt
	}
	d := 0
	for i := range a {
		d = max(d, int(math.Abs(float64(a[i]-b[i]))))
	}
	return d
}

func planePSNR(a, b imageio.Plane) float64 {
	if len(a.Pix) != len(b.Pix) {
		return math.Inf(-1)
	}
	se := 0.0
	for i := range a.Pix {
		x := float64(a.Pix[i] - b.Pix[i])
		se += x * x
	}
	if se == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255/(se/float64(len(a.Pix))))
}

// codestreamOf returns the codestream of a compressed file's one frame.
func codestreamOf(t testing.TB, b []byte) []byte {
	t.Helper()
	ds, _, err := parse(b, false)
	if err != nil {
		t.Fatal(err)
	}
	el, err := ds.FindElementByTag(tag.PixelData)
	if err != nil {
		t.Fatal(err)
	}
	return encapsulatedFrame(el.Value.GetValue().(dicom.PixelDataInfo).Frames)
}

// encapsulate wraps a codestream in a 16-bit MONOCHROME2 film of w×h with bitsStored bits.
func encapsulate(uid string, w, h, bitsStored int, cs []byte) []byte {
	elems := dicomtest.ImageElems(w, h, "MONOCHROME2", bitsStored, nil)
	return dicomtest.Build(uid, false, false, elems[:len(elems)-1], cs)
}

// A damaged codestream is refused as malformed (ingest's `unreadable`) with the decoder's reason,
// never a panic or a hang: truncated streams always; streams with bytes zeroed or flipped either
// decode (the damage may hit entropy-coded data that still parses) or are refused the same way.
func TestCorruptCodestreamsRejected(t *testing.T) {
	src := codecSources(t)[2] // synthetic-16bit
	info, err := ReadInfo(src.data)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range dicomtest.Encoders {
		if e.MaxBits != 0 && src.bits > e.MaxBits {
			continue
		}
		t.Run(e.Name, func(t *testing.T) {
			if codecs[e.UID].decode == nil {
				t.Logf("%s not in this build: the missing-codec refusal is tested in TestCodecsAgainstUncompressed", codecs[e.UID].name)
				return
			}
			cs := codestreamOf(t, codecFixture(t, src, e))
			damaged := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), cs...)) }
			for _, tc := range []struct {
				name     string
				cs       []byte
				mustFail bool
			}{
				{"truncated to half", cs[:len(cs)/2], true},
				{"truncated to 64 bytes", cs[:64], true},
				{"header only", cs[:min(len(cs), 200)], true},
				{"middle zeroed", damaged(func(b []byte) []byte { clear(b[len(b)/3 : len(b)/2]); return b }), false},
				{"bytes flipped", damaged(func(b []byte) []byte {
					for i := 100; i < len(b); i += 997 {
						b[i] ^= 0x5A
					}
					return b
				}), false},
				{"garbage", bytes.Repeat([]byte{0xFF, 0x00, 0x13}, 400), true},
			} {
				_, _, err := Decode(encapsulate(e.UID, info.Columns, info.Rows, 16, tc.cs))
				switch {
				case err == nil && tc.mustFail:
					t.Errorf("%s: decoded without error", tc.name)
				case err != nil && (!errors.Is(err, ErrMalformed) || errors.Is(err, ErrUnsupported)):
					t.Errorf("%s: %v, want ErrMalformed (unreadable)", tc.name, err)
				case err != nil && !strings.Contains(err.Error(), e.UID):
					t.Errorf("%s: %v does not name the transfer syntax", tc.name, err)
				case err != nil:
					t.Logf("%s: %v", tc.name, err)
				}
			}
		})
	}
}

// fuzzCodec is the fuzz target of one decoder entry point: the codestream of a frame, with the
// image size and bit depth the header would give. Its seeds are in testdata/fuzz/<target>: a
// synthetic 64×48 gradient (no shared data) compressed by each encoder of [dicomtest.Encoders]
// that writes one of uids. The setup runs no tool: under fuzzing each worker runs it, and tool
// runs on a loaded machine made the coordinator take a slow start for a hang.
func fuzzCodec(f *testing.F, uids ...string) {
	f.Add([]byte{0xFF, 0x4F, 0xFF, 0x51}, uint16(64), uint16(48), uint8(15), uint8(0))
	f.Fuzz(func(t *testing.T, cs []byte, w, h uint16, bits, which uint8) {
		in := &Info{TransferSyntaxUID: uids[int(which)%len(uids)], Columns: int(w%1024) + 1, Rows: int(h%1024) + 1,
			BitsAllocated: 16, BitsStored: int(bits%16) + 1, SamplesPerPixel: 1, Frames: 1}
		v, _, _, err := decodeEncapsulated([]*frame.Frame{{Encapsulated: true, EncapsulatedData: frame.EncapsulatedFrame{Data: cs}}}, in)
		switch {
		case err == nil && len(v) != in.Columns*in.Rows:
			t.Fatalf("%d samples for %dx%d", len(v), in.Columns, in.Rows)
		case err != nil && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrTooLarge):
			t.Fatalf("error %v is neither malformed, unsupported nor too large", err)
		}
	})
}

func FuzzCodecJPEG2000(f *testing.F)     { fuzzCodec(f, JPEG2000Lossless, JPEG2000) }
func FuzzCodecJPEGLS(f *testing.F)       { fuzzCodec(f, JPEGLSLossless, JPEGLSNearLossless) }
func FuzzCodecJPEGLossless(f *testing.F) { fuzzCodec(f, JPEGLossless, JPEGLosslessSV1, JPEGExtended) }
func FuzzCodecRLE(f *testing.F)          { fuzzCodec(f, RLELossless) }

// DecodeForSize decodes JPEG 2000 at a reduced resolution level; shrunk to the ingest size, the
// image matches the full decode shrunk the same way within a stated tolerance: a mean of 3 gray
// levels and 32 at most (measured on the shared DX: mean 1.9, max 21, at burned-in text; the
// wavelet's low-pass band is a 5-tap filter, not the box average imageio shrinks with, and the
// min–max stretch of a film without a window sees slightly lower extremes).
func TestDecodeForSizeJPEG2000(t *testing.T) {
	src := codecSources(t)[1] // the 1024² DX
	var enc dicomtest.Encoder
	for _, e := range dicomtest.Encoders {
		if e.Name == "j2k-lossless" {
			enc = e
		}
	}
	b := codecFixture(t, src, enc)
	if libOpenJP.decode == nil {
		if _, _, err := DecodeForSize(b, 64); !errors.As(err, new(*MissingCodecError)) {
			t.Fatalf("build without OpenJPEG: %v, want MissingCodecError", err)
		}
		return
	}
	_, full, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	info, small, err := DecodeForSize(b, 64)
	if err != nil {
		t.Fatal(err)
	}
	if info.Columns != 1024 || small.W != 256 || small.H != 256 {
		t.Fatalf("reduced decode %dx%d of a %dx%d film; want 256x256 (the lowest level with a side of at least 4×64)", small.W, small.H, info.Columns, info.Rows)
	}
	g1, err := imageio.Normalize(full, 64, imageio.AspectCrop)
	if err != nil {
		t.Fatal(err)
	}
	g2, err := imageio.Normalize(small, 64, imageio.AspectCrop)
	if err != nil {
		t.Fatal(err)
	}
	maxd, sum := 0, 0
	for i := range g1.Pix {
		d := int(g1.Pix[i]) - int(g2.Pix[i])
		maxd, sum = max(maxd, d, -d), sum+max(d, -d)
	}
	t.Logf("64×64 from the 256² level vs from the full film: max |Δ| %d, mean |Δ| %.2f gray levels", maxd, float64(sum)/float64(len(g1.Pix)))
	if maxd > 32 || float64(sum)/float64(len(g1.Pix)) > 3 {
		t.Fatalf("reduced decode differs by up to %d levels (mean %.2f); want at most 32 and a mean of at most 3", maxd, float64(sum)/float64(len(g1.Pix)))
	}
	// Other encodings decode at full size.
	_, p, err := DecodeForSize(codecFixture(t, src, dicomtest.Encoders[0]), 64)
	if err != nil || p.W != 1024 {
		t.Fatalf("JPEG lossless through DecodeForSize: %dx%d, %v", p.W, p.H, err)
	}
}
