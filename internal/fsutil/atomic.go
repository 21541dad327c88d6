package fsutil

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// TempPrefix starts the name of every temporary file or folder this package makes.
const TempPrefix = ".tmp-"

// File is a file being written under a temporary name. Commit renames it into place; Abort
// (safe to call after Commit, so it can be deferred) removes it.
type File struct {
	*os.File
	final string
	perm  fs.FileMode
	done  bool
}

// Create starts an atomic write of path with the given permissions. The parent folder is created
// if missing.
func Create(path string, perm fs.FileMode) (*File, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create folder %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, TempPrefix+filepath.Base(path)+"-*")
	if err != nil {
		return nil, fmt.Errorf("create temporary file for %s: %w", path, err)
	}
	return &File{File: f, final: path, perm: perm}, nil
}

// Commit flushes the file to disk and renames it to its final name.
func (f *File) Commit() error {
	if f.done {
		return errors.New("fsutil: commit after commit or abort")
	}
	f.done = true
	tmp := f.Name()
	if err := f.Chmod(f.perm); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("chmod %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("sync %s: %w", f.final, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("close %s: %w", f.final, err)
	}
	if err := os.Rename(tmp, f.final); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("rename into %s: %w", f.final, err)
	}
	return nil
}

// Abort discards the temporary file. It does nothing after Commit.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.Close()
	os.Remove(f.Name())
}

// WriteFile writes data to path atomically with the given permissions.
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	f, err := Create(path, perm)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Commit()
}

// TempDir makes a temporary folder beside final (same file system, so [CommitDir] can rename it).
func TempDir(final string) (string, error) {
	parent := filepath.Dir(final)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", fmt.Errorf("create folder %s: %w", parent, err)
	}
	d, err := os.MkdirTemp(parent, TempPrefix+filepath.Base(final)+"-*")
	if err != nil {
		return "", fmt.Errorf("create temporary folder for %s: %w", final, err)
	}
	return d, nil
}

// CommitDir renames the finished temporary folder tmp to final. It refuses to replace an existing
// final folder unless replace is true, in which case the old one is moved aside first and removed
// only after the rename succeeded.
func CommitDir(tmp, final string, replace bool) error {
	if _, err := os.Lstat(final); err == nil {
		if !replace {
			return fmt.Errorf("%s already exists: %w", final, fs.ErrExist)
		}
		old := final + ".old-" + filepath.Base(tmp)
		if err := os.Rename(final, old); err != nil {
			return fmt.Errorf("move aside %s: %w", final, err)
		}
		if err := os.Rename(tmp, final); err != nil {
			_ = os.Rename(old, final)
			return fmt.Errorf("rename into %s: %w", final, err)
		}
		return os.RemoveAll(old)
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("rename into %s: %w", final, err)
	}
	return nil
}

// CleanTemp removes the temporary files and folders this package left in dir (not recursively),
// for example after a crash. It returns how many it removed.
func CleanTemp(dir string) (int, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), TempPrefix) {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}
