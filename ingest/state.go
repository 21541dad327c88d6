package ingest

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/raysynth/raysynth/internal/fsutil"
)

var sourceMapHeader = []string{"id", "patient", "class", "split", "source_kind", "sha256", "pixel_sha256", "indexed", "source_path", "source_patient"}

// readSourceMap reads private/source-map.csv (missing = empty).
func readSourceMap(path string) ([]*record, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read source map %s: %w", path, err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = len(sourceMapHeader)
	h, err := r.Read()
	if err != nil || !slices.Equal(h, sourceMapHeader) {
		return nil, fmt.Errorf("read source map %s: unexpected header (written by another raysynth version?)", path)
	}
	var out []*record
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read source map %s: %w", path, err)
		}
		out = append(out, &record{ID: rec[0], Patient: rec[1], Class: rec[2], Split: rec[3], Kind: rec[4],
			SHA256: rec[5], PixelSHA256: rec[6], Indexed: rec[7] == "yes", SourcePath: rec[8], SourcePatient: rec[9]})
	}
}

// writeSourceMap writes private/source-map.csv atomically with mode 0600, sorted by id. It
// streams the rows to the file, so that an archive's map is never held in memory a second time.
func writeSourceMap(path string, recs []*record) error {
	recs = slices.Clone(recs)
	slices.SortFunc(recs, func(a, b *record) int { return strings.Compare(a.ID, b.ID) })
	f, err := fsutil.Create(path, 0o600)
	if err != nil {
		return err
	}
	defer f.Abort()
	w := csv.NewWriter(f)
	w.Write(sourceMapHeader)
	row := make([]string, len(sourceMapHeader))
	for _, r := range recs {
		ix := "no"
		if r.Indexed {
			ix = "yes"
		}
		row[0], row[1], row[2], row[3], row[4] = r.ID, r.Patient, r.Class, r.Split, r.Kind
		row[5], row[6], row[7], row[8], row[9] = r.SHA256, r.PixelSHA256, ix, r.SourcePath, r.SourcePatient
		w.Write(row)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Commit()
}

// cacheEntry is one line of the private decode journal: the outcome of decoding one source file
// at one size and aspect policy.
type cacheEntry struct {
	Path    string `json:"path"`
	Size    int64  `json:"size"`
	ModTime int64  `json:"mtime_ns"`
	Out     int    `json:"out_size"`
	Aspect  string `json:"aspect"`
	// Success
	ID           string `json:"id,omitempty"`
	Kind         string `json:"kind,omitempty"`
	SHA256       string `json:"sha256,omitempty"`
	PixelSHA256  string `json:"pixel_sha256,omitempty"`
	DICOMPatient string `json:"dicom_patient,omitempty"` // namespaced source key from the DICOM header
	Inverted     bool   `json:"looks_inverted,omitempty"`
	// Failure
	Reason string `json:"reason,omitempty"`
	Detail string `json:"detail,omitempty"`
	// Decoding marks a DICOM file whose decode has started, written before the decoder runs: a
	// line left last for its path means the process died while decoding it (out of memory, a
	// crash in a C decoder, or a kill). It counts the runs that died so.
	Decoding int `json:"decoding,omitempty"`
}

func (e *cacheEntry) key() string { return e.Path }

// readCache reads the journal; a torn last line (a kill mid-write) is ignored.
func readCache(path string) (map[string]*cacheEntry, error) {
	out := map[string]*cacheEntry{}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read ingest journal %s: %w", path, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	for sc.Scan() {
		var e cacheEntry
		if json.Unmarshal(sc.Bytes(), &e) != nil || e.Path == "" {
			continue
		}
		out[e.key()] = &e
	}
	return out, sc.Err()
}

// journal appends cache entries, one JSON line each, to the private journal (mode 0600).
type journal struct {
	mu sync.Mutex // the decoding workers write markers beside the results loop
	f  *os.File
}

func openJournal(path string) (*journal, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open ingest journal: %w", err)
	}
	if err := lockWorkspace(f); err != nil {
		f.Close()
		return nil, err
	}
	// A torn last line from a kill: start on a fresh line.
	if st, err := f.Stat(); err == nil && st.Size() > 0 {
		last := make([]byte, 1)
		if rf, err := os.Open(path); err == nil {
			rf.ReadAt(last, st.Size()-1)
			rf.Close()
			if last[0] != '\n' {
				f.Write([]byte("\n"))
			}
		}
	}
	return &journal{f: f}, nil
}

func (j *journal) add(e *cacheEntry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	_, err = j.f.Write(append(b, '\n'))
	return err
}

func (j *journal) close() error { return j.f.Close() }

var rejectedHeader = []string{"ref", "reason", "detail", "source_path"}

func writeRejectedList(path string, rej []Rejection, paths map[string]string) error {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(rejectedHeader)
	for _, r := range rej {
		w.Write([]string{r.Ref, r.Reason, r.Detail, paths[r.Ref]})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	return fsutil.WriteFile(path, buf.Bytes(), 0o600)
}
