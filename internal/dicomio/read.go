package dicomio

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/raysynth/raysynth/internal/imageio"
	"github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"
)

// ErrMalformed is wrapped by errors about bytes that are not a readable DICOM dataset (truncated,
// corrupt, or missing the attributes an image needs).
var ErrMalformed = errors.New("malformed DICOM")

// ErrNoPixelData is returned for a DICOM object without an image (DICOMDIR, structured report,
// presentation state): not an error in an export folder, just not a film.
var ErrNoPixelData = errors.New("DICOM object without pixel data")

// ErrNotChest is wrapped by [CheckChest]'s errors: the file is a readable image but not a chest
// radiograph.
var ErrNotChest = errors.New("not a chest radiograph")

// Info holds the attributes ingest needs. PatientID and StudyInstanceUID identify a patient: use
// them only to group images and to key pseudonyms; never log, print or store them outside the
// workspace's private folder.
type Info struct {
	Form              Form
	TransferSyntaxUID string // "" when the file has no meta header (implicit VR little endian assumed)
	PatientID         string // identifying
	StudyInstanceUID  string // identifying
	Modality          string
	BodyPartExamined  string
	Photometric       string
	Rows, Columns     int
	SamplesPerPixel   int
	BitsAllocated     int
	BitsStored        int
	HighBit           int
	PixelSigned       bool
	Frames            int
	RescaleSlope      float64
	RescaleIntercept  float64
	WindowCenter      float64
	WindowWidth       float64
	HasWindow         bool
	VOIFunction       string    // LINEAR (default), LINEAR_EXACT or SIGMOID
	VOILUT            []float64 // first VOI LUT of the VOI LUT Sequence, scaled to [0, 1]; nil if none
	VOILUTFirst       int       // first input value the VOI LUT maps
	// DecodeBytes is the estimated peak memory of decoding the file (set by [ReadInfoFile]).
	DecodeBytes int64

	minSide int // decode JPEG 2000 at a reduced level down to this side (see DecodeForSize)
}

// ReadInfo reads the attributes of a DICOM file without its pixel data.
func ReadInfo(data []byte) (*Info, error) {
	ds, form, err := parse(data, true)
	if err != nil {
		return nil, err
	}
	return infoFrom(ds, form)
}

// ReadInfoFile reads the attributes of a DICOM file on disk without reading its pixel data into
// memory (the parser skips over them), so a huge or unsupported file can be refused cheaply.
// The file is first scanned against [DefaultLimits]; the returned Info's DecodeBytes says what
// a [Decode] of the file would take.
func ReadInfoFile(path string) (info *Info, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	head := make([]byte, HeadSize)
	n, _ := io.ReadFull(f, head)
	form := Detect(head[:n])
	if form == NotDICOM {
		return nil, fmt.Errorf("%w: no DICM preamble and no recognisable data elements", ErrMalformed)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	fp, err := Scan(f, st.Size(), form, DefaultLimits)
	if err != nil {
		return nil, err
	}
	if fp.ParseBytes > DefaultLimits.MaxBytes {
		return nil, overBudget(fp.ParseBytes, DefaultLimits)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			info, err = nil, fmt.Errorf("%w: parser failed on corrupt data", ErrMalformed)
		}
	}()
	ds, err := dicom.Parse(bufio.NewReader(f), st.Size(), nil, dicom.AllowMissingMetaElementGroupLength(), dicom.AllowUnknownSpecificCharacterSet(), dicom.SkipPixelData())
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrMalformed, scrub(err.Error()))
	}
	info, err = infoFrom(ds, form)
	if info != nil {
		info.DecodeBytes = fp.DecodeBytes(st.Size())
	}
	return info, err
}

// EstimateFile scans a DICOM file on disk (headers only: it seeks over pixel data) and returns
// what decoding it would take ([Footprint.DecodeBytes]), or the scan's error ([ErrMalformed],
// [ErrTooLarge]). Nothing is allocated in proportion to what the file claims.
func EstimateFile(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	head := make([]byte, HeadSize)
	n, _ := io.ReadFull(f, head)
	form := Detect(head[:n])
	if form == NotDICOM {
		return 0, fmt.Errorf("%w: no DICM preamble and no recognisable data elements", ErrMalformed)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	fp, err := Scan(f, st.Size(), form, DefaultLimits)
	if err != nil {
		return 0, err
	}
	est := fp.DecodeBytes(st.Size())
	if est > DefaultLimits.MaxBytes {
		return est, overBudget(est, DefaultLimits)
	}
	return est, nil
}

// Decode reads a DICOM file and renders its pixels through the pipeline described in the package
// documentation. The returned plane holds values in [0, 255] with air dark. The file is parsed
// once; native pixel data are taken as raw bytes and converted here (much faster than the
// parser's per-sample reads), and nothing is decoded when the header says it cannot be rendered.
// A file whose decoding would take more than [DefaultLimits] allows is refused with an error
// wrapping [ErrTooLarge] before the parser allocates anything.
func Decode(data []byte) (*Info, imageio.Plane, error) { return DecodeForSize(data, 0) }

// parse scans the file against [DefaultLimits] (with the decode's buffers unless skipPixels),
// then runs the DICOM parser, turning its panics on malformed input into errors.
func parse(data []byte, skipPixels bool) (ds dicom.Dataset, form Form, err error) {
	form = Detect(data[:min(len(data), HeadSize)])
	if form == NotDICOM {
		return ds, form, fmt.Errorf("%w: no DICM preamble and no recognisable data elements", ErrMalformed)
	}
	fp, err := Scan(bytes.NewReader(data), int64(len(data)), form, DefaultLimits)
	if err != nil {
		return ds, form, err
	}
	cost := fp.ParseBytes
	if !skipPixels {
		cost = fp.DecodeBytes(int64(len(data)))
	}
	if cost > DefaultLimits.MaxBytes {
		return ds, form, overBudget(cost, DefaultLimits)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: parser failed on corrupt data", ErrMalformed)
		}
	}()
	opts := []dicom.ParseOption{dicom.AllowMissingMetaElementGroupLength(), dicom.AllowUnknownSpecificCharacterSet()}
	if skipPixels {
		opts = append(opts, dicom.SkipPixelData())
	} else {
		opts = append(opts, dicom.SkipProcessingPixelDataValue())
	}
	ds, err = dicom.Parse(bytes.NewReader(data), int64(len(data)), nil, opts...)
	if err != nil {
		return ds, form, fmt.Errorf("%w: %s", ErrMalformed, scrub(err.Error()))
	}
	return ds, form, nil
}

// overBudget is the error for a file whose reading or decoding is estimated at cost bytes.
func overBudget(cost int64, lim Limits) error {
	return fmt.Errorf("%w: reading and decoding it would take about %d MB (limit %d MB per file)", ErrTooLarge, (cost+1<<20-1)>>20, lim.MaxBytes>>20)
}

// scrub keeps a parser message only when it cannot carry attribute values (the parser quotes
// values in a few messages); otherwise it returns a generic description.
func scrub(msg string) string {
	if len(msg) > 200 || strings.ContainsAny(msg, "[]\"'^") {
		return "corrupt or truncated data"
	}
	return msg
}

func infoFrom(ds dicom.Dataset, form Form) (*Info, error) {
	in := &Info{Form: form, RescaleSlope: 1, SamplesPerPixel: 1, Frames: 1}
	in.TransferSyntaxUID = str(ds, tag.TransferSyntaxUID)
	in.PatientID = str(ds, tag.PatientID)
	in.StudyInstanceUID = str(ds, tag.StudyInstanceUID)
	in.Modality = strings.ToUpper(str(ds, tag.Modality))
	in.BodyPartExamined = strings.ToUpper(str(ds, tag.BodyPartExamined))
	in.Photometric = strings.ToUpper(str(ds, tag.PhotometricInterpretation))
	in.Rows = integer(ds, tag.Rows, 0)
	in.Columns = integer(ds, tag.Columns, 0)
	in.SamplesPerPixel = integer(ds, tag.SamplesPerPixel, 1)
	in.BitsAllocated = integer(ds, tag.BitsAllocated, 0)
	in.BitsStored = integer(ds, tag.BitsStored, in.BitsAllocated)
	in.HighBit = integer(ds, tag.HighBit, in.BitsStored-1)
	in.PixelSigned = integer(ds, tag.PixelRepresentation, 0) == 1
	if s := str(ds, tag.NumberOfFrames); s != "" {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%w: NumberOfFrames is not a positive number", ErrMalformed)
		}
		in.Frames = n
	}
	var ok1, ok2 bool
	if v, ok := decimal(ds, tag.RescaleSlope); ok && v != 0 {
		in.RescaleSlope = v
	}
	if v, ok := decimal(ds, tag.RescaleIntercept); ok {
		in.RescaleIntercept = v
	}
	in.WindowCenter, ok1 = decimal(ds, tag.WindowCenter)
	in.WindowWidth, ok2 = decimal(ds, tag.WindowWidth)
	in.HasWindow = ok1 && ok2 && in.WindowWidth > 0
	in.VOIFunction = strings.ToUpper(str(ds, tag.VOILUTFunction))
	in.VOILUT, in.VOILUTFirst = voiLUT(ds)
	_, err := ds.FindElementByTag(tag.PixelData)
	switch {
	case err != nil && (in.Rows <= 0 || in.Columns <= 0):
		return nil, ErrNoPixelData // not an image object at all
	case err != nil:
		return nil, fmt.Errorf("%w: image attributes but no pixel data (truncated file?)", ErrMalformed)
	case in.Rows <= 0 || in.Columns <= 0:
		return nil, fmt.Errorf("%w: missing Rows or Columns", ErrMalformed)
	}
	return in, nil
}

// TransferSyntaxLabel is the UID and name of the file's transfer syntax, for messages.
func (in *Info) TransferSyntaxLabel() string {
	uid := in.TransferSyntaxUID
	if uid == "" {
		uid = ImplicitVRLittleEndian
	}
	return uid + " (" + TransferSyntaxName(uid) + ")"
}

// CheckRenderable returns an error wrapping [ErrUnsupported] when the pixels cannot be rendered.
// A film that would be refused whatever the build (colour, several frames) is refused for that
// before a missing codec is named, so the hint never sends anyone to install a library in vain.
func (in *Info) CheckRenderable() error {
	switch in.Photometric {
	case "MONOCHROME1", "MONOCHROME2", "":
	default:
		return fmt.Errorf("%w: photometric interpretation %s (want MONOCHROME1 or MONOCHROME2: chest radiographs are grayscale)", ErrUnsupported, safeCode(in.Photometric))
	}
	if in.SamplesPerPixel != 1 {
		return fmt.Errorf("%w: %d samples per pixel (want 1)", ErrUnsupported, in.SamplesPerPixel)
	}
	if in.Frames > 1 {
		return fmt.Errorf("%w: %d frames (a radiograph has one)", ErrUnsupported, in.Frames)
	}
	if in.TransferSyntaxUID != "" {
		if err := checkTransferSyntax(in.TransferSyntaxUID); err != nil {
			return err
		}
	}
	if !in.jpeg() {
		switch in.BitsAllocated {
		case 8, 16, 32:
		default:
			return fmt.Errorf("%w: %d bits allocated (want 8, 16 or 32)", ErrUnsupported, in.BitsAllocated)
		}
		if in.BitsStored < 1 || in.BitsStored > in.BitsAllocated || in.HighBit < in.BitsStored-1 || in.HighBit >= in.BitsAllocated {
			return fmt.Errorf("%w: inconsistent BitsStored %d / HighBit %d / BitsAllocated %d", ErrMalformed, in.BitsStored, in.HighBit, in.BitsAllocated)
		}
	}
	if int64(in.Rows)*int64(in.Columns) > imageio.MaxPixels {
		return fmt.Errorf("%w: implausible size %dx%d", ErrMalformed, in.Columns, in.Rows)
	}
	return nil
}

// CheckChest returns an error wrapping [ErrNotChest] when the attributes say the image is not a
// chest radiograph: a cross-sectional or other non-radiographic modality, or a body part other
// than the chest. Missing attributes are given the benefit of the doubt.
func (in *Info) CheckChest() error {
	switch in.Modality {
	case "", "CR", "DX", "DR", "RG", "OT", "SC", "PX":
	default:
		return fmt.Errorf("%w: modality %s is not a projection radiograph (want CR or DX)", ErrNotChest, safeCode(in.Modality))
	}
	if bp := in.BodyPartExamined; bp != "" && !strings.Contains(bp, "CHEST") && !strings.Contains(bp, "THORAX") && !strings.Contains(bp, "LUNG") {
		return fmt.Errorf("%w: BodyPartExamined is not CHEST", ErrNotChest)
	}
	return nil
}

func (in *Info) jpeg() bool { return transferSyntaxes[in.TransferSyntaxUID].jpeg }

// safeCode returns a code string (CS value) for a message when it looks like a code, so free text
// can never reach an error.
func safeCode(s string) string {
	if len(s) == 0 || len(s) > 16 {
		return "(unrecognised value)"
	}
	for _, c := range s {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == ' ') {
			return "(unrecognised value)"
		}
	}
	return s
}

func render(ds dicom.Dataset, in *Info) (imageio.Plane, error) {
	el, err := ds.FindElementByTag(tag.PixelData)
	if err != nil {
		return imageio.Plane{}, fmt.Errorf("%w: no pixel data", ErrMalformed)
	}
	pdi, ok := el.Value.GetValue().(dicom.PixelDataInfo)
	if !ok {
		return imageio.Plane{}, fmt.Errorf("%w: unreadable pixel data", ErrMalformed)
	}
	if pdi.IntentionallyUnprocessed {
		stored, err := rawSamples(pdi.UnprocessedValueData, in)
		if err != nil {
			return imageio.Plane{}, err
		}
		return Render(stored, in.Columns, in.Rows, in), nil
	}
	if pdi.ParseErr != nil || len(pdi.Frames) == 0 {
		return imageio.Plane{}, fmt.Errorf("%w: pixel data truncated or of the wrong length", ErrMalformed)
	}
	if !pdi.IsEncapsulated {
		return imageio.Plane{}, fmt.Errorf("%w: unreadable native pixel data", ErrMalformed)
	}
	stored, w, h, err := decodeEncapsulated(pdi.Frames, in) // codec.go
	if err != nil {
		return imageio.Plane{}, err
	}
	return Render(stored, w, h, in), nil
}

// rawSamples converts native pixel data bytes to stored values (masked to BitsStored, sign
// extended), little endian unless the transfer syntax is big endian.
func rawSamples(b []byte, in *Info) ([]int32, error) {
	n := in.Rows * in.Columns
	bpp := in.BitsAllocated / 8
	if len(b) < n*bpp {
		return nil, fmt.Errorf("%w: pixel data has %d bytes, Rows×Columns×BitsAllocated need %d", ErrMalformed, len(b), n*bpp)
	}
	big := in.TransferSyntaxUID == ExplicitVRBigEndian
	shift := uint(in.HighBit + 1 - in.BitsStored)
	mask := uint32(1)<<uint(in.BitsStored) - 1
	if in.BitsStored >= 32 {
		mask = 0xFFFFFFFF
	}
	sign := uint32(1) << uint(in.BitsStored-1)
	out := make([]int32, n)
	for i := range out {
		var raw uint32
		switch bpp {
		case 1:
			raw = uint32(b[i])
		case 2:
			if big {
				raw = uint32(b[2*i])<<8 | uint32(b[2*i+1])
			} else {
				raw = uint32(b[2*i]) | uint32(b[2*i+1])<<8
			}
		case 4:
			if big {
				raw = uint32(b[4*i])<<24 | uint32(b[4*i+1])<<16 | uint32(b[4*i+2])<<8 | uint32(b[4*i+3])
			} else {
				raw = uint32(b[4*i]) | uint32(b[4*i+1])<<8 | uint32(b[4*i+2])<<16 | uint32(b[4*i+3])<<24
			}
		default:
			return nil, fmt.Errorf("%w: %d bits allocated", ErrUnsupported, in.BitsAllocated)
		}
		v := (raw >> shift) & mask
		if in.PixelSigned && v&sign != 0 {
			out[i] = int32(int64(v) - int64(mask) - 1)
		} else {
			out[i] = int32(v)
		}
	}
	return out, nil
}

func jpegSamples(img image.Image) ([]int32, int, int) {
	p := imageio.PlaneFromImage(img)
	out := make([]int32, len(p.Pix))
	for i, v := range p.Pix {
		out[i] = int32(v + 0.5)
	}
	return out, p.W, p.H
}

// Render applies the Modality LUT, VOI and MONOCHROME1 inversion to stored values (already
// masked to BitsStored and sign-extended) and returns a w×h plane in [0, 255] with air dark.
func Render(stored []int32, w, h int, in *Info) imageio.Plane {
	p := imageio.NewPlane(w, h)
	slope, icpt := in.RescaleSlope, in.RescaleIntercept
	if slope == 0 {
		slope = 1
	}
	switch {
	case in.HasWindow:
		c, wd := in.WindowCenter, in.WindowWidth
		for i, s := range stored {
			p.Pix[i] = float32(window(float64(s)*slope+icpt, c, wd, in.VOIFunction))
		}
	case in.VOILUT != nil:
		// PS3.3 C.11.2.1.1: values below the first mapped input take the first entry, values
		// above the last take the last.
		last := len(in.VOILUT) - 1
		for i, s := range stored {
			k := int(math.Round(float64(s)*slope+icpt)) - in.VOILUTFirst
			k = max(0, min(last, k))
			p.Pix[i] = float32(in.VOILUT[k] * 255)
		}
	default:
		lo, hi := float64(0), float64(0)
		for i, s := range stored {
			x := float64(s)*slope + icpt
			if i == 0 || x < lo {
				lo = x
			}
			if i == 0 || x > hi {
				hi = x
			}
		}
		scale := 0.0
		if hi > lo {
			scale = 255 / (hi - lo)
		}
		for i, s := range stored {
			p.Pix[i] = float32((float64(s)*slope + icpt - lo) * scale)
		}
	}
	if in.Photometric == "MONOCHROME1" {
		p.Invert()
	}
	return p
}

// window applies a VOI window (PS3.3 C.11.2.1.2) to a modality value x and returns [0, 255].
func window(x, c, w float64, function string) float64 {
	switch function {
	case "SIGMOID":
		return 255 / (1 + math.Exp(-4*(x-c)/w))
	case "LINEAR_EXACT":
		switch {
		case x <= c-w/2:
			return 0
		case x > c+w/2:
			return 255
		}
		return ((x-c)/w + 0.5) * 255
	}
	// LINEAR (the default): y = ((x - (c - 0.5)) / (w - 1) + 0.5) * 255, clamped.
	if w < 1 {
		w = 1
	}
	lo, hi := c-0.5-(w-1)/2, c-0.5+(w-1)/2
	switch {
	case x <= lo:
		return 0
	case x > hi || w == 1:
		return 255
	}
	return ((x-(c-0.5))/(w-1) + 0.5) * 255
}

// voiLUT reads the first item of the VOI LUT Sequence: its descriptor (entries, first mapped
// value, bits) and data, scaled to [0, 1]. A malformed LUT is ignored (nil).
func voiLUT(ds dicom.Dataset) ([]float64, int) {
	e, err := ds.FindElementByTag(tag.VOILUTSequence)
	if err != nil || e.Value == nil {
		return nil, 0
	}
	items, ok := e.Value.GetValue().([]*dicom.SequenceItemValue)
	if !ok || len(items) == 0 {
		return nil, 0
	}
	sub, ok := items[0].GetValue().([]*dicom.Element)
	if !ok {
		return nil, 0
	}
	item := dicom.Dataset{Elements: sub}
	de, err := item.FindElementByTag(tag.LUTDescriptor)
	if err != nil {
		return nil, 0
	}
	desc, ok := de.Value.GetValue().([]int)
	if !ok || len(desc) != 3 {
		return nil, 0
	}
	n, first, bits := desc[0], desc[1], desc[2]
	if n == 0 {
		n = 65536
	}
	if first > 32767 && first < 65536 {
		first -= 65536 // US-encoded negative first value
	}
	le, err := item.FindElementByTag(tag.LUTData)
	if err != nil {
		return nil, 0
	}
	var data []float64
	switch v := le.Value.GetValue().(type) {
	case []int:
		for _, x := range v {
			data = append(data, float64(x))
		}
	case []byte:
		for i := 0; i+1 < len(v); i += 2 {
			data = append(data, float64(uint16(v[i])|uint16(v[i+1])<<8))
		}
	}
	if len(data) < n || n < 2 || bits < 1 || bits > 16 {
		return nil, 0
	}
	data = data[:n]
	top := float64(int(1)<<bits - 1)
	for _, x := range data {
		top = max(top, x)
	}
	for i := range data {
		data[i] /= top
	}
	return data, first
}

func str(ds dicom.Dataset, t tag.Tag) string {
	e, err := ds.FindElementByTag(t)
	if err != nil || e.Value == nil {
		return ""
	}
	v, ok := e.Value.GetValue().([]string)
	if b, isBytes := e.Value.GetValue().([]byte); isBytes && e.RawValueRepresentation == "UN" {
		// A known string attribute sent as UN (GDCM writes implicit-VR sources so when it
		// compresses them): its bytes are the string (PS3.5 6.2.2).
		v, ok = strings.Split(string(b), `\`), true
	}
	if !ok || len(v) == 0 {
		return ""
	}
	return strings.TrimRight(strings.TrimSpace(v[0]), "\x00")
}

func integer(ds dicom.Dataset, t tag.Tag, def int) int {
	e, err := ds.FindElementByTag(t)
	if err != nil || e.Value == nil {
		return def
	}
	switch v := e.Value.GetValue().(type) {
	case []int:
		if len(v) > 0 {
			return v[0]
		}
	case []string:
		if len(v) > 0 {
			if n, err := strconv.Atoi(strings.TrimSpace(v[0])); err == nil {
				return n
			}
		}
	case []byte:
		if e.RawValueRepresentation == "UN" {
			return unInteger(t, v, def)
		}
	}
	return def
}

// unInteger reads a known integer attribute sent as UN (GDCM writes implicit-VR sources so when
// it compresses them): its bytes are the value in the VR of the data dictionary, little endian
// (PS3.5 6.2.2), binary for US/SS/UL/SL and text for IS.
func unInteger(t tag.Tag, b []byte, def int) int {
	info, err := tag.Find(t)
	if err != nil || len(info.VRs) == 0 {
		return def
	}
	le := binary.LittleEndian
	switch vr := info.VRs[0]; {
	case vr == "US" && len(b) >= 2:
		return int(le.Uint16(b))
	case vr == "SS" && len(b) >= 2:
		return int(int16(le.Uint16(b)))
	case vr == "UL" && len(b) >= 4:
		return int(le.Uint32(b))
	case vr == "SL" && len(b) >= 4:
		return int(int32(le.Uint32(b)))
	case vr == "IS":
		if n, err := strconv.Atoi(strings.TrimRight(strings.TrimSpace(strings.Split(string(b), `\`)[0]), "\x00")); err == nil {
			return n
		}
	}
	return def
}

func decimal(ds dicom.Dataset, t tag.Tag) (float64, bool) {
	e, err := ds.FindElementByTag(t)
	if err != nil || e.Value == nil {
		return 0, false
	}
	if b, ok := e.Value.GetValue().([]byte); ok && e.RawValueRepresentation == "UN" {
		f, err := strconv.ParseFloat(strings.TrimSpace(strings.Split(string(b), `\`)[0]), 64) // DS sent as UN
		return f, err == nil
	}
	switch v := e.Value.GetValue().(type) {
	case []string:
		if len(v) > 0 {
			f, err := strconv.ParseFloat(strings.TrimSpace(strings.Split(v[0], `\`)[0]), 64)
			return f, err == nil
		}
	case []float64:
		if len(v) > 0 {
			return v[0], true
		}
	}
	return 0, false
}
