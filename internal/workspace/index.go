package workspace

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/raysynth/raysynth/internal/fsutil"
)

// RealImage is one row of real/index.csv. Every value is a pseudonym or a category: no source
// identifier appears here.
type RealImage struct {
	ID         string // image pseudonym, also the file name under real/images
	Patient    string // patient pseudonym
	Class      string
	Split      string // SplitTrain or SplitHoldout
	SHA256     string // hex sha256 of the PNG file
	SourceKind string // dicom, png or jpeg
}

// SynthImage is one row of synth/index.csv or approved/index.csv.
type SynthImage struct {
	ID        string
	Class     string
	File      string // path relative to the index's folder's parent, slash-separated (e.g. candidates/normal/s-….png)
	SHA256    string // hex sha256 of the PNG file
	Generator string // hex sha256 of the generator checkpoint that made it
	Seed      uint64
	Sample    int64  // sample number within the seed's stream
	DICOM     string // relative path of the DICOM copy, or ""
}

var realHeader = []string{"id", "patient", "class", "split", "sha256", "source_kind"}
var synthHeader = []string{"id", "class", "file", "sha256", "generator", "seed", "sample", "dicom"}

// ReadRealIndex reads real/index.csv.
func (w *Workspace) ReadRealIndex() ([]RealImage, error) {
	var out []RealImage
	err := w.EachRealImage(func(r RealImage) error {
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// EachRealImage calls fn with each row of real/index.csv in file order, reading one row at a
// time, so that a caller keeping only part of each row holds no more (issue 20: an archive's
// index has a row per film). The strings of a row share one allocation: copy
// ([strings.Clone]) what outlives the call. An error from fn stops the reading and is returned.
func (w *Workspace) EachRealImage(fn func(RealImage) error) error {
	return eachCSV(w.RealIndexPath(), realHeader, func(r []string) error {
		return fn(RealImage{r[0], r[1], r[2], r[3], r[4], r[5]})
	})
}

// WriteRealIndex writes real/index.csv atomically, sorted by id. It streams the rows to the file,
// so that writing the index of an archive holds no copy of it.
func (w *Workspace) WriteRealIndex(imgs []RealImage) error {
	order := sortedOrder(len(imgs), func(a, b int) int { return strings.Compare(imgs[a].ID, imgs[b].ID) })
	return writeCSV(w.RealIndexPath(), realHeader, len(imgs), func(i int, rec []string) {
		m := imgs[order[i]]
		copy(rec, []string{m.ID, m.Patient, m.Class, m.Split, m.SHA256, m.SourceKind})
	})
}

// sortedOrder returns 0..n-1 sorted by cmp.
func sortedOrder(n int, cmp func(a, b int) int) []int32 {
	order := make([]int32, n)
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return cmp(int(a), int(b)) })
	return order
}

// ReadSynthIndex reads a synthetic index (candidates or approved).
func ReadSynthIndex(path string) ([]SynthImage, error) {
	rows, err := readCSV(path, synthHeader)
	if err != nil {
		return nil, err
	}
	out := make([]SynthImage, len(rows))
	for i, r := range rows {
		seed, err1 := strconv.ParseUint(r[5], 10, 64)
		sample, err2 := strconv.ParseInt(r[6], 10, 64)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("%s: row %d: %w", path, i+2, err)
		}
		out[i] = SynthImage{ID: r[0], Class: r[1], File: r[2], SHA256: r[3], Generator: r[4], Seed: seed, Sample: sample, DICOM: r[7]}
	}
	return out, nil
}

// WriteSynthIndex writes a synthetic index atomically, sorted by class then id.
func WriteSynthIndex(path string, imgs []SynthImage) error {
	order := sortedOrder(len(imgs), func(a, b int) int {
		if c := strings.Compare(imgs[a].Class, imgs[b].Class); c != 0 {
			return c
		}
		return strings.Compare(imgs[a].ID, imgs[b].ID)
	})
	return writeCSV(path, synthHeader, len(imgs), func(i int, rec []string) {
		m := imgs[order[i]]
		copy(rec, []string{m.ID, m.Class, m.File, m.SHA256, m.Generator,
			strconv.FormatUint(m.Seed, 10), strconv.FormatInt(m.Sample, 10), m.DICOM})
	})
}

func readCSV(path string, header []string) ([][]string, error) {
	var rows [][]string
	err := eachCSV(path, header, func(rec []string) error {
		rows = append(rows, slices.Clone(rec))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rows, nil
}

// eachCSV calls fn with each record after the header; the record's slice is reused between
// calls.
func eachCSV(path string, header []string, fn func([]string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("read index %s: %w", path, err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = len(header)
	r.ReuseRecord = true
	got, err := r.Read()
	if err != nil {
		return fmt.Errorf("read index %s: header: %w", path, err)
	}
	if !slices.Equal(got, header) {
		return fmt.Errorf("read index %s: header %q, want %q", path, got, header)
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read index %s: %w", path, err)
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
}

// writeCSV writes a CSV file atomically: the header, then n records that row fills in (rec has
// the header's length), streamed to a temporary file that is renamed into place.
func writeCSV(path string, header []string, n int, row func(i int, rec []string)) error {
	f, err := fsutil.Create(path, 0o644)
	if err != nil {
		return fmt.Errorf("write index %s: %w", path, err)
	}
	defer f.Abort()
	cw := csv.NewWriter(f)
	cw.Write(header)
	rec := make([]string, len(header))
	for i := range n {
		row(i, rec)
		cw.Write(rec)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write index %s: %w", path, err)
	}
	return f.Commit()
}
