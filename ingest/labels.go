package ingest

import (
	"bufio"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Labels formats accepted by --labels-format.
const (
	FormatAuto    = "auto"
	FormatNIH     = "nih"     // NIH Data_Entry_2017: Image Index, Finding Labels, Patient ID
	FormatNIH1000 = "nih1000" // ../shared/data/nih1000_64/labels.csv: image, patient_id, finding_labels
	FormatKermany = "kermany" // ../shared/data/kermany_128/labels.csv: image, label, subtype, patient_key
	FormatPlain   = "plain"   // file, label, patient (what raysynth phantom writes)
)

// LabelFormats lists the formats in the order auto-detection tries them.
var LabelFormats = []string{FormatNIH, FormatNIH1000, FormatKermany, FormatPlain}

// layout says which columns of a labels CSV hold what.
type layout struct {
	file, label, patient string
	nihNames             bool // finding names in NIH spelling (No Finding, Pleural_Thickening)
}

var layouts = map[string]layout{
	FormatNIH:     {file: "Image Index", label: "Finding Labels", patient: "Patient ID", nihNames: true},
	FormatNIH1000: {file: "image", label: "finding_labels", patient: "patient_id", nihNames: true},
	FormatKermany: {file: "image", label: "label", patient: "patient_key"},
	FormatPlain:   {file: "file", label: "label", patient: "patient"},
}

// LabelRow is one labelled image of a labels file.
type LabelRow struct {
	File     string   // as written in the CSV, slash-separated, relative to the CSV's folder
	Findings []string // normalised class names (see NormalizeClass), in CSV order, no repeats
	Patient  string   // source patient id (identifying; private), "" when the row has none
}

// Labels is a parsed labels file with lookups by path and by base name.
type Labels struct {
	Format string
	Column string // the label column used
	dir    string // absolute folder of the CSV
	byPath map[string]int
	byBase map[string][]int
	Rows   []LabelRow
}

// ErrLabels is wrapped by every error about a labels file that cannot be used.
var ErrLabels = errors.New("unusable labels file")

// ReadLabels reads a labels CSV (optionally gzip-compressed). format is one of [LabelFormats] or
// "auto"; column overrides the label column ("" = the format's default, e.g. `subtype` for
// Kermany's normal/bacteria/virus).
func ReadLabels(file, format, column string) (*Labels, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("read labels %s: %w", file, err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	var r io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("read labels %s: %w", file, err)
		}
		defer gz.Close()
		r = gz
	}
	abs, err := filepath.Abs(filepath.Dir(file))
	if err != nil {
		return nil, err
	}
	l, err := parseLabels(r, format, column)
	if err != nil {
		return nil, fmt.Errorf("read labels %s: %w", file, err)
	}
	l.dir = abs
	return l, nil
}

func parseLabels(r io.Reader, format, column string) (*Labels, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%w: no header line: %v", ErrLabels, err)
	}
	for i := range header {
		header[i] = strings.TrimSpace(strings.TrimPrefix(header[i], "\ufeff"))
	}
	col := func(name string) int { return slices.Index(header, name) }
	if format == "" || format == FormatAuto {
		format = ""
		for _, name := range LabelFormats {
			lay := layouts[name]
			if col(lay.file) >= 0 && col(lay.label) >= 0 && col(lay.patient) >= 0 {
				format = name
				break
			}
		}
		if format == "" {
			return nil, fmt.Errorf("%w: header %q matches no known layout; want `file,label,patient`, NIH's Data_Entry_2017 (`Image Index,Finding Labels,Patient ID`), or the nih1000_64 / kermany_128 layouts (see --labels-format)", ErrLabels, header)
		}
	}
	lay, ok := layouts[format]
	if !ok {
		return nil, fmt.Errorf("%w: unknown labels format %q (want auto, %s)", ErrLabels, format, strings.Join(LabelFormats, ", "))
	}
	if column != "" {
		lay.label = column
	}
	fi, li, pi := col(lay.file), col(lay.label), col(lay.patient)
	switch {
	case fi < 0:
		return nil, fmt.Errorf("%w: %s layout needs a %q column; header is %q", ErrLabels, format, lay.file, header)
	case li < 0:
		return nil, fmt.Errorf("%w: label column %q not in header %q", ErrLabels, lay.label, header)
	case pi < 0:
		return nil, fmt.Errorf("%w: %s layout needs a %q column; header is %q", ErrLabels, format, lay.patient, header)
	}
	l := &Labels{Format: format, Column: lay.label, byPath: map[string]int{}, byBase: map[string][]int{}}
	line := 1
	for {
		rec, err := cr.Read()
		line++
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrLabels, line, err)
		}
		if len(rec) <= max(fi, li, pi) {
			return nil, fmt.Errorf("%w: line %d has %d fields, header has %d", ErrLabels, line, len(rec), len(header))
		}
		file := path.Clean(strings.ReplaceAll(strings.TrimSpace(rec[fi]), `\`, "/"))
		if file == "." || file == "" {
			return nil, fmt.Errorf("%w: line %d: empty %s", ErrLabels, line, lay.file)
		}
		var findings []string
		for _, f := range strings.Split(rec[li], "|") {
			c := NormalizeClass(f)
			if err := CheckClass(c); c != "" && err != nil {
				return nil, fmt.Errorf("%w: line %d: %v", ErrLabels, line, err)
			}
			if c != "" && !slices.Contains(findings, c) {
				findings = append(findings, c)
			}
		}
		if _, dup := l.byPath[file]; dup {
			return nil, fmt.Errorf("%w: line %d: %s listed twice", ErrLabels, line, lay.file)
		}
		l.byPath[file] = len(l.Rows)
		base := path.Base(file)
		l.byBase[base] = append(l.byBase[base], len(l.Rows))
		l.Rows = append(l.Rows, LabelRow{File: file, Findings: findings, Patient: strings.TrimSpace(rec[pi])})
	}
	if len(l.Rows) == 0 {
		return nil, fmt.Errorf("%w: no rows", ErrLabels)
	}
	return l, nil
}

// Lookup finds the row of a source file: by its path relative to the CSV's folder, then by its
// base name when that name is unique in the CSV. It returns -1 when the file has no row.
func (l *Labels) Lookup(absPath string) int {
	if rel, err := filepath.Rel(l.dir, absPath); err == nil {
		if i, ok := l.byPath[filepath.ToSlash(rel)]; ok {
			return i
		}
	}
	if rows := l.byBase[filepath.Base(absPath)]; len(rows) == 1 {
		return rows[0]
	}
	return -1
}

// NormalizeClass maps a finding or class name to raysynth's spelling: lower case, spaces and
// hyphens as underscores, and NIH's "No Finding" as normal. [CheckClass] then says whether the
// result is a usable class name.
func NormalizeClass(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.NewReplacer(" ", "_", "-", "_").Replace(s)
	if s == "no_finding" {
		return "normal"
	}
	return s
}

// MaxClassLen bounds a class name in bytes (it names folders and objects of every later stage).
const MaxClassLen = 64

// CheckClass checks a normalised class name against the class alphabet: letters, digits, "_",
// "-" and ".", not starting with "." (a class name becomes a folder name in the workspace and in
// bundles), at most [MaxClassLen] bytes. Control, format (bidi overrides such as U+202E) and
// every other character are refused, so no later stage, file system or terminal sees them. The
// error names the first offending character by code point, never raw.
func CheckClass(c string) error {
	switch {
	case c == "":
		return errors.New("empty class name")
	case len(c) > MaxClassLen:
		return fmt.Errorf("class name of %d bytes: at most %d", len(c), MaxClassLen)
	case strings.HasPrefix(c, "."):
		return fmt.Errorf("class name %s starts with a dot", strconv.QuoteToASCII(c))
	case !utf8.ValidString(c):
		return errors.New("class name is not UTF-8")
	}
	for _, r := range c {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' && r != '-' && r != '.' {
			return fmt.Errorf("class name %s has the character %U; class names hold letters, digits, _ - and . only", strconv.QuoteToASCII(c), r)
		}
	}
	return nil
}
