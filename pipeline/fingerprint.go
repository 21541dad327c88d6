package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/raysynth/raysynth/internal/fsutil"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Fingerprint builds a stage's input or output fingerprint from named parts: values, files (by
// content), globs and folder listings. The zero value is ready; Sum gives the sha256.
type Fingerprint struct {
	parts []string
	err   error
}

// Add adds a value (options structs included: by their Go syntax representation).
func (h *Fingerprint) Add(name string, v any) {
	h.parts = append(h.parts, fmt.Sprintf("%s=%#v", name, v))
}

// File adds a file's sha256 ("absent" when it does not exist).
func (h *Fingerprint) File(name, path string) {
	sum, err := fsutil.FileSHA256(path)
	if errors.Is(err, os.ErrNotExist) {
		sum = "absent"
	} else if err != nil && h.err == nil {
		h.err = err
	}
	h.parts = append(h.parts, name+"="+sum)
}

// Glob adds every file matching pattern, sorted, by its folder and name and content hash.
func (h *Fingerprint) Glob(name, pattern string) {
	ms, _ := filepath.Glob(pattern)
	slices.Sort(ms)
	for _, m := range ms {
		h.File(name+":"+filepath.Base(filepath.Dir(m))+"/"+filepath.Base(m), m)
	}
}

// Tree adds the listing of a folder or file: relative names, sizes and modification times
// (contents are not read: an export folder may hold many gigabytes).
func (h *Fingerprint) Tree(name, root string) {
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		h.parts = append(h.parts, fmt.Sprintf("%s:%s=%d@%d", name, filepath.ToSlash(rel), info.Size(), info.ModTime().UnixNano()))
		return nil
	})
	if err != nil && h.err == nil {
		h.err = fmt.Errorf("list %s: %w", root, err)
	}
}

// Sum is the sha256 of the parts in order, or the first error met adding them.
func (h *Fingerprint) Sum() (string, error) {
	if h.err != nil {
		return "", h.err
	}
	s := sha256.Sum256([]byte(strings.Join(h.parts, "\n")))
	return hex.EncodeToString(s[:]), nil
}
