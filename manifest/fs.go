package manifest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"unicode/utf8"
)

// writeFileAtomic writes data to a temporary file beside path, syncs it and renames it into place.
// (manifest imports nothing of this module, so it cannot use internal/fsutil.)
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(perm); err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	ok = true
	return nil
}

// checkName reports why a bundle path is unsafe, or "" when it is a clean relative slash path.
func checkName(name string) string {
	switch {
	case !utf8.ValidString(name):
		return "name is not valid UTF-8"
	case name == "":
		return "empty name"
	case strings.HasPrefix(name, "/") || filepath.IsAbs(name) || (len(name) > 1 && name[1] == ':'):
		return "absolute path"
	case strings.ContainsRune(name, '\\'):
		return "backslash in path"
	case strings.ContainsRune(name, 0):
		return "NUL in path"
	}
	for _, el := range strings.Split(name, "/") {
		if el == ".." {
			return "path escapes the bundle (..)"
		}
		if el == "" || el == "." {
			return "path is not clean"
		}
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return "control character in path"
		}
	}
	if !fs.ValidPath(name) || path.Clean(name) != name {
		return "path is not clean"
	}
	return ""
}

// printable renders a possibly hostile name for messages.
func printable(name string) string {
	if !utf8.ValidString(name) || strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		q := fmt.Sprintf("%q", name)
		return q[1 : len(q)-1]
	}
	return name
}

// DirSource returns a [Source] over a bundle in a local folder. List reports every entry without
// following symbolic links; Open refuses names that leave the folder, symbolic links and anything
// that is not a regular file.
func DirSource(dir string) Source { return &dirSource{dir: dir} }

type dirSource struct {
	dir  string
	once sync.Once
	root *os.Root // opened on first Open, closed when the source is garbage collected
	err  error
}

func (d *dirSource) String() string { return d.dir }

func (d *dirSource) openRoot() (*os.Root, error) {
	d.once.Do(func() {
		d.root, d.err = os.OpenRoot(d.dir)
		if d.err == nil {
			runtime.AddCleanup(d, func(r *os.Root) { r.Close() }, d.root)
		}
	})
	return d.root, d.err
}

func (d *dirSource) List(ctx context.Context) ([]FileInfo, error) {
	st, err := os.Stat(d.dir)
	if err != nil {
		return nil, fmt.Errorf("open bundle %s: %w", d.dir, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("open bundle %s: not a folder", d.dir)
	}
	var out []FileInfo
	var walk func(rel string) error
	walk = func(rel string) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		f, err := os.Open(filepath.Join(d.dir, filepath.FromSlash(rel)))
		if err != nil {
			return fmt.Errorf("list bundle %s: %w", d.dir, err)
		}
		ents, err := f.ReadDir(-1)
		f.Close()
		if err != nil {
			return fmt.Errorf("list bundle %s: %w", d.dir, err)
		}
		for _, e := range ents {
			name := e.Name()
			if rel != "" {
				name = rel + "/" + name
			}
			info, err := e.Info()
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					continue
				}
				return fmt.Errorf("list bundle %s: %w", d.dir, err)
			}
			mode := info.Mode()
			if mode.IsDir() {
				if checkName(name) != "" {
					// Do not descend into hostile folder names; report the folder itself.
					out = append(out, FileInfo{Name: name, Mode: mode})
					continue
				}
				if err := walk(name); err != nil {
					return err
				}
				continue
			}
			out = append(out, FileInfo{Name: name, Size: info.Size(), Mode: mode, Symlink: mode&fs.ModeSymlink != 0})
		}
		return nil
	}
	if err := walk(""); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b FileInfo) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func (d *dirSource) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	if why := checkName(name); why != "" {
		return nil, fmt.Errorf("open %s: %s", printable(name), why)
	}
	root, err := d.openRoot()
	if err != nil {
		return nil, fmt.Errorf("open bundle %s: %w", d.dir, err)
	}
	st, err := root.Lstat(name)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("open %s: not a regular file", name)
	}
	f, err := root.OpenFile(name, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	if st2, err := f.Stat(); err != nil || !st2.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("open %s: not a regular file", name)
	}
	return f, nil
}
