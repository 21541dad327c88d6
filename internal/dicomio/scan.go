package dicomio

import (
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/raysynth/raysynth/internal/imageio"
	"github.com/suyashkumar/dicom/pkg/tag"
)

// ErrTooLarge is wrapped by errors about a file whose reading or decoding would take more
// memory than the per-file budget ([Limits]): the file is refused before anything is allocated.
// It is [imageio.ErrTooLarge], so callers test one sentinel for every source format.
var ErrTooLarge = imageio.ErrTooLarge

// Limits bound what one DICOM file may make the parser and decoder allocate. Every length is
// checked against them (and against the bytes actually left in the file) before the DICOM
// library sees the file, so a few hostile bytes cannot claim gigabytes.
type Limits struct {
	// MaxDepth is the deepest nesting of sequences and items, counted together (a sequence
	// holding an item holding a sequence is three levels; real films use fewer than 12).
	MaxDepth int
	// MaxElements bounds the data elements of the whole file, nested ones included.
	MaxElements int
	// MaxBytes bounds the memory that parsing the file (with its pixel data) and decoding its
	// pixels is estimated to take.
	MaxBytes int64
}

// DefaultLimits are the limits [Decode], [ReadInfo] and [ReadInfoFile] apply: the memory budget
// is [imageio.MaxDecodeBytes], which a 4320 × 4320 film with 16-bit pixels (about 300 MB by
// [Footprint.DecodeBytes]) fits.
var DefaultLimits = Limits{MaxDepth: 32, MaxElements: 100_000, MaxBytes: imageio.MaxDecodeBytes}

// Per-element memory the DICOM library takes beyond the value bytes (Element, Value and slice
// headers), measured on v1.1.0 and rounded up.
const elementOverhead = 256

// scanner walks the raw element stream the way github.com/suyashkumar/dicom v1.1.0 reads it
// (same VR lookup, same value-length rules) but keeps nothing: it measures nesting depth,
// element count, value lengths against the bytes left, and the memory the parse will take.
type scanner struct {
	r            *bufio.Reader
	seek         io.Seeker // the reader under r when it can seek (files); nil otherwise
	pos, size    int64     // bytes consumed; total bytes (-1 when unknown: deflated)
	bo           binary.ByteOrder
	implicit     bool
	lim          Limits
	elements     int
	cost         int64     // estimated bytes held by the parsed dataset, pixel data aside
	under        io.Reader // the reader seek belongs to
	pixBytes     int64     // pixel data value bytes
	encapsulated bool
	rows, cols   int64 // top-level Rows and Columns, for the decode estimate
}

// errTruncated stops the scan at the end of a truncated file: what is there was within the
// limits, and the parser reports the truncation itself.
var errTruncated = errors.New("truncated")

// Footprint is what [Scan] measured: the memory parsing and decoding the file will take.
type Footprint struct {
	// ParseBytes is the estimated memory of the parsed dataset without its pixel data.
	ParseBytes int64
	// PixelBytes is the length of the pixel data value (all fragments when encapsulated).
	PixelBytes   int64
	Encapsulated bool
	// Rows and Columns are the top-level image size (0 when absent).
	Rows, Columns int64
}

// DecodeBytes estimates the peak memory of [Decode] on a file of fileSize bytes and of
// normalising its plane: the file, the parsed dataset with its pixel data, and the working
// buffers per pixel (stored values and the plane, then the normaliser's
// [imageio.NormalizeBytesPerPixel]; 16 bytes when a JPEG decoder's image comes first).
func (f Footprint) DecodeBytes(fileSize int64) int64 {
	perPixel := int64(imageio.NormalizeBytesPerPixel)
	if f.Encapsulated {
		perPixel = 16
	}
	return fileSize + f.ParseBytes + f.PixelBytes + f.Rows*f.Columns*perPixel
}

// Scan walks a DICOM stream of size bytes (of the given [Form]) element by element without
// keeping anything, the way the DICOM library will read it, and checks it against lim:
// nesting deeper than lim.MaxDepth, a value length beyond the end of the file or of its
// enclosing item, or an undefined length where the library would take it as a byte count give
// an error wrapping [ErrMalformed]; more than lim.MaxElements elements, or a parse estimated
// over lim.MaxBytes, an error wrapping [ErrTooLarge]. A file that simply ends early is not an
// error here (the parser reports it). r is read to its end (seeking over long values when it
// is an [io.Seeker]).
func Scan(r io.Reader, size int64, form Form, lim Limits) (Footprint, error) {
	s := &scanner{r: bufio.NewReaderSize(r, 64<<10), size: size, bo: binary.LittleEndian, implicit: true, lim: lim}
	if sk, ok := r.(io.Seeker); ok {
		s.seek, s.under = sk, r
	}
	err := s.run(form)
	if err == errTruncated {
		err = nil
	}
	return Footprint{ParseBytes: s.cost, PixelBytes: s.pixBytes, Encapsulated: s.encapsulated, Rows: s.rows, Columns: s.cols}, err
}

func (s *scanner) run(form Form) error {
	if s.lim.MaxDepth <= 0 {
		s.lim = DefaultLimits
	}
	switch form {
	case Part10:
		if err := s.skip(132); err != nil {
			return err
		}
		ts, err := s.meta()
		if err != nil {
			return err
		}
		switch ts {
		case "", ImplicitVRLittleEndian:
		case ExplicitVRBigEndian:
			s.bo, s.implicit = binary.BigEndian, false
		case DeflatedExplicitVRLittleEndian:
			// The dataset is a raw deflate stream; its inflated size is unknown, so every
			// length is checked against the budget instead of the bytes left.
			s.implicit = false
			s.r = bufio.NewReaderSize(flate.NewReader(s.r), 64<<10)
			s.seek, s.size, s.pos = nil, -1, 0
		default:
			s.implicit = false // every other syntax is explicit VR little endian
		}
	case RawDataset:
		if err := s.inferRaw(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("%w: no DICM preamble and no recognisable data elements", ErrMalformed)
	}
	return s.elementsUntil(-1, 0, 0)
}

// inferRaw picks the encoding of a dataset without meta header the way the library does: the
// first of implicit VR little endian, explicit VR big endian and explicit VR little endian under
// which the first element reads from the first 100 bytes. The library allocates that element's
// claimed length while trying each encoding, so a first element claiming more than the file
// holds under any encoding tried is refused.
func (s *scanner) inferRaw() error {
	head, _ := s.r.Peek(100)
	if len(head) < 100 {
		return nil // the library refuses a raw dataset shorter than 100 bytes
	}
	for _, syn := range []struct {
		bo       binary.ByteOrder
		implicit bool
	}{{binary.LittleEndian, true}, {binary.BigEndian, false}, {binary.LittleEndian, false}} {
		t := tag.Tag{Group: syn.bo.Uint16(head[0:2]), Element: syn.bo.Uint16(head[2:4])}
		var vl uint32
		hdr := 8
		vr := string(head[4:6])
		switch {
		case syn.implicit || t == tag.Item:
			vl = syn.bo.Uint32(head[4:8])
			vr = tag.UnknownVR
			if e, err := tag.Find(t); err == nil {
				vr = e.VRs[0]
			}
		case vr == "NA" || vr == "OB" || vr == "OD" || vr == "OF" || vr == "OL" || vr == "OW" || vr == "SQ" || vr == "UN" || vr == "UC" || vr == "UR" || vr == "UT":
			vl, hdr = syn.bo.Uint32(head[8:12]), 12
		default:
			vl = uint32(syn.bo.Uint16(head[6:8]))
			if vl == 0xFFFF {
				vl = tag.VLUndefinedLength
			}
		}
		if vl != tag.VLUndefinedLength && int64(vl) > s.size-int64(hdr) {
			return fmt.Errorf("%w: the first element claims %d bytes but the file has %d", ErrMalformed, vl, s.size)
		}
		if vl != tag.VLUndefinedLength && hdr+int(vl) <= len(head) || vl == tag.VLUndefinedLength && tag.GetVRKind(t, vr) == tag.VRSequence {
			s.bo, s.implicit = syn.bo, syn.implicit
			return nil
		}
	}
	return nil // no encoding reads: the library refuses the file
}

// meta reads the file meta group (explicit VR little endian) and returns its transfer syntax.
func (s *scanner) meta() (string, error) {
	var ts string
	for {
		b, err := s.r.Peek(2)
		if err != nil || binary.LittleEndian.Uint16(b) != 0x0002 {
			return ts, nil // end of the meta group (or of a file with nothing after it)
		}
		t, vr, vl, err := s.header(false, binary.LittleEndian)
		if err != nil {
			return "", err
		}
		if err := s.checkLength(t, vr, vl, -1); err != nil {
			return "", err
		}
		if t == tag.TransferSyntaxUID && vl < 256 {
			v := make([]byte, vl)
			if err := s.read(v); err != nil {
				return "", err
			}
			ts = strings.TrimRight(string(v), " \x00")
			s.account(vr, int64(vl), v)
			continue
		}
		if err := s.value(t, vr, vl, 0, -1); err != nil {
			return "", err
		}
	}
}

// elementsUntil reads elements until end (an absolute position; -1 = end of stream) or, when
// end is -1 and delim is not 0, until the delimitation item with element number delim.
func (s *scanner) elementsUntil(end int64, delim uint16, depth int) error {
	for {
		if end >= 0 && s.pos >= end {
			return nil
		}
		if end < 0 && delim == 0 {
			if _, err := s.r.Peek(1); err == io.EOF {
				return nil
			}
		}
		t, vr, vl, err := s.header(s.implicit, s.bo)
		if err != nil {
			return err
		}
		if t.Group == 0xFFFE && t.Element == delim && delim != 0 {
			return nil
		}
		if err := s.checkLength(t, vr, vl, end); err != nil {
			return err
		}
		if err := s.value(t, vr, vl, depth, end); err != nil {
			return err
		}
	}
}

// header reads a tag, VR and value length with the library's rules: items always implicit;
// in explicit VR, OB/OD/OF/OL/OW/SQ/UN/UC/UR/UT (and "NA") have a 4-byte length.
func (s *scanner) header(implicit bool, bo binary.ByteOrder) (tag.Tag, string, uint32, error) {
	var b [8]byte
	if err := s.read(b[:4]); err != nil {
		return tag.Tag{}, "", 0, err
	}
	t := tag.Tag{Group: bo.Uint16(b[:2]), Element: bo.Uint16(b[2:4])}
	s.elements++
	if s.elements > s.lim.MaxElements {
		return t, "", 0, fmt.Errorf("%w: more than %d data elements", ErrTooLarge, s.lim.MaxElements)
	}
	s.cost += elementOverhead
	if implicit || t == tag.Item {
		vr := tag.UnknownVR
		if e, err := tag.Find(t); err == nil {
			vr = e.VRs[0]
			if t == tag.PixelData || t == tag.OverlayData {
				vr = "OW"
			}
		}
		if err := s.read(b[4:8]); err != nil {
			return t, "", 0, err
		}
		return t, vr, bo.Uint32(b[4:8]), nil
	}
	if err := s.read(b[4:6]); err != nil {
		return t, "", 0, err
	}
	vr := string(b[4:6])
	switch vr {
	case "NA", "OB", "OD", "OF", "OL", "OW", "SQ", "UN", "UC", "UR", "UT":
		if err := s.read(b[:6]); err != nil { // two reserved bytes, then the length
			return t, "", 0, err
		}
		return t, vr, bo.Uint32(b[2:6]), nil
	}
	if err := s.read(b[6:8]); err != nil {
		return t, "", 0, err
	}
	vl := uint32(bo.Uint16(b[6:8]))
	if vl == 0xFFFF {
		vl = tag.VLUndefinedLength
	}
	return t, vr, vl, nil
}

// checkLength refuses a defined length beyond the end of the stream or of the enclosing item,
// and an undefined length where the library would take it as a byte count.
func (s *scanner) checkLength(t tag.Tag, vr string, vl uint32, end int64) error {
	if vl == tag.VLUndefinedLength {
		switch tag.GetVRKind(t, vr) {
		case tag.VRSequence, tag.VRItem, tag.VRPixelData, tag.VRBytes, tag.VRUnknown:
			return nil
		}
		return fmt.Errorf("%w: element %s has an undefined length its VR %s cannot have", ErrMalformed, t, safeVR(vr))
	}
	left := int64(-1)
	if s.size >= 0 {
		left = s.size - s.pos
	}
	if end >= 0 && (left < 0 || end-s.pos < left) {
		left = end - s.pos
	}
	if left >= 0 && int64(vl) > left {
		return fmt.Errorf("%w: element %s claims %d bytes but only %d are left", ErrMalformed, t, vl, left)
	}
	if left < 0 && int64(vl) > s.lim.MaxBytes {
		return fmt.Errorf("%w: element %s claims %d bytes (budget %d MB)", ErrTooLarge, t, vl, s.lim.MaxBytes>>20)
	}
	return nil
}

// value consumes one element's value, descending into sequences and items.
func (s *scanner) value(t tag.Tag, vr string, vl uint32, depth int, end int64) error {
	kind := tag.GetVRKind(t, vr)
	if kind == tag.VRUnknown && vl == tag.VLUndefinedLength {
		kind = tag.VRSequence // the library reads an undefined-length UN as a sequence
	}
	switch kind {
	case tag.VRSequence, tag.VRItem:
		if depth+1 > s.lim.MaxDepth {
			return fmt.Errorf("%w: sequences and items nested more than %d levels deep", ErrMalformed, s.lim.MaxDepth)
		}
		if vl == tag.VLUndefinedLength {
			delim := uint16(0xE0DD) // sequence delimitation
			if kind == tag.VRItem {
				delim = 0xE00D // item delimitation
			}
			return s.elementsUntil(-1, delim, depth+1)
		}
		return s.elementsUntil(s.pos+int64(vl), 0, depth+1)
	case tag.VRPixelData:
		if depth > 0 {
			s.cost += int64(vl) // a pixel data inside an item (an icon image) is read as bytes
		} else {
			s.pixBytes = 0
			if vl != tag.VLUndefinedLength {
				s.pixBytes = int64(vl)
			}
		}
		if vl == tag.VLUndefinedLength {
			s.encapsulated = depth == 0
			return s.fragments(t, depth > 0)
		}
		return s.skip(int64(vl))
	case tag.VRBytes:
		if vl == tag.VLUndefinedLength {
			return s.fragments(t, true)
		}
		s.cost += int64(vl)
		return s.skip(int64(vl))
	}
	if vl > 64<<10 {
		// Long values are not needed to estimate; count them at their worst (one string
		// header per two bytes for strings, 4× for 16-bit integer lists).
		s.cost += 8 * int64(vl)
		return s.skip(int64(vl))
	}
	v := make([]byte, vl)
	if err := s.read(v); err != nil {
		return err
	}
	s.account(vr, int64(vl), v)
	if depth == 0 && (vr == "US" || vr == "UN") && vl >= 2 { // UN: a US sent as UN (GDCM)
		switch t {
		case tag.Rows:
			s.rows = int64(s.bo.Uint16(v))
		case tag.Columns:
			s.cols = int64(s.bo.Uint16(v))
		}
	}
	return nil
}

// account adds the memory the library takes for a short value of the given VR.
func (s *scanner) account(vr string, vl int64, v []byte) {
	switch tag.GetVRKind(tag.Tag{}, vr) {
	case tag.VRUInt16List, tag.VRInt16List:
		s.cost += 4 * vl // one int per two bytes
	case tag.VRUInt32List, tag.VRInt32List, tag.VRTagList, tag.VRFloat32List:
		s.cost += 2 * vl
	case tag.VRStringList, tag.VRString, tag.VRDate:
		s.cost += vl + 16*int64(bytes.Count(v, []byte{'\\'})+1)
	default:
		s.cost += vl
	}
}

// fragments consumes items of an undefined-length byte value up to its sequence delimitation.
// keep says the parse holds their bytes.
func (s *scanner) fragments(t tag.Tag, keep bool) error {
	for {
		it, _, vl, err := s.header(true, s.bo)
		if err != nil {
			return err
		}
		if it.Group == 0xFFFE && it.Element == 0xE0DD {
			return nil
		}
		if it != tag.Item {
			return fmt.Errorf("%w: element %s holds %s where a fragment item belongs", ErrMalformed, t, it)
		}
		if vl == tag.VLUndefinedLength {
			return fmt.Errorf("%w: fragment of element %s has an undefined length", ErrMalformed, t)
		}
		if err := s.checkLength(it, "OB", vl, -1); err != nil {
			return err
		}
		if keep {
			s.cost += int64(vl)
		} else {
			s.pixBytes += int64(vl)
		}
		if err := s.skip(int64(vl)); err != nil {
			return err
		}
	}
}

func (s *scanner) read(b []byte) error {
	n, err := io.ReadFull(s.r, b)
	s.pos += int64(n)
	if err != nil {
		return errTruncated
	}
	if s.cost > s.lim.MaxBytes {
		return s.overBudget()
	}
	return nil
}

func (s *scanner) overBudget() error {
	return fmt.Errorf("%w: parsing it would take more than %d MB", ErrTooLarge, s.lim.MaxBytes>>20)
}

// skip moves n bytes forward, seeking over long values when the stream can.
func (s *scanner) skip(n int64) error {
	if s.cost > s.lim.MaxBytes {
		return s.overBudget()
	}
	if b := int64(s.r.Buffered()); s.seek != nil && n > b+64<<10 {
		s.r.Discard(int(b))
		if _, err := s.seek.Seek(n-b, io.SeekCurrent); err != nil {
			return errTruncated
		}
		s.r.Reset(s.under)
		s.pos += n
		return nil
	}
	d, err := s.r.Discard(int(min(n, 1<<62)))
	s.pos += int64(d)
	if err != nil {
		return errTruncated
	}
	return nil
}

// safeVR returns a VR for a message, or a placeholder when the two bytes are not one.
func safeVR(vr string) string {
	if validVR(vr) || vr == "NA" {
		return vr
	}
	return "(not a VR)"
}
