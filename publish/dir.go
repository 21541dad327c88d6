package publish

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// tmpPrefix starts the names of temporary files and folders (the same convention as
// internal/fsutil), which listings skip.
const tmpPrefix = ".tmp-"

// tmpDir is the folder under the root where objects are written before they are linked into
// place: outside every release folder, so a killed publish leaves nothing inside NAME/VERSION/.
const tmpDir = tmpPrefix + "publish"

// staleTemp is the age after which a temporary file in tmpDir is taken for a killed run's
// leftover and removed.
const staleTemp = time.Hour

type dirStore struct {
	root  string
	mu    sync.Mutex
	swept map[string]bool // folders already cleared of temporaries by this store
}

// OpenDir returns a Store over a local folder (created by the first write when missing). Objects
// are plain files at ROOT/KEY, written under a temporary name in ROOT/.tmp-publish/ and linked
// into place, so a reader never sees half a file, a release folder never holds a temporary (even
// after a kill), and create-only writes cannot replace an existing one.
func OpenDir(root string) (Store, error) {
	if root == "" {
		return nil, errors.New("empty folder name")
	}
	if st, err := os.Stat(root); err == nil && !st.IsDir() {
		return nil, fmt.Errorf("%s is not a folder", root)
	}
	return &dirStore{root: root, swept: map[string]bool{}}, nil
}

func (d *dirStore) String() string { return d.root }

func (d *dirStore) WriteMode() WriteMode { return WriteMode{Integrity: "sha256", CreateOnly: "link"} }

// sweep removes, once per folder, what a killed run left: temporaries inside a release folder
// (where earlier versions wrote them) and stale ones in tmpDir.
func (d *dirStore) sweep(dir string, olderThan time.Duration) {
	d.mu.Lock()
	done := d.swept[dir]
	d.swept[dir] = true
	d.mu.Unlock()
	if done {
		return
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), tmpPrefix) || e.IsDir() {
			continue
		}
		if st, err := e.Info(); err == nil && time.Since(st.ModTime()) >= olderThan {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// safeKey rejects keys that would leave the folder or hit a temporary name.
func safeKey(key string) error {
	if !fs.ValidPath(key) || key == "." || strings.Contains(key, "\\") {
		return fmt.Errorf("%w %q", ErrUnsafeKey, key)
	}
	for _, seg := range strings.Split(key, "/") {
		if strings.HasPrefix(seg, tmpPrefix) {
			return fmt.Errorf("%w %q: temporary name", ErrUnsafeKey, key)
		}
	}
	return nil
}

func (d *dirStore) path(key string) (string, error) {
	if err := safeKey(key); err != nil {
		return "", err
	}
	return filepath.Join(d.root, filepath.FromSlash(key)), nil
}

func (d *dirStore) List(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	var out []ObjectInfo
	start := d.root
	if i := strings.LastIndex(prefix, "/"); i > 0 && safeKey(prefix[:i]) == nil {
		// Walk only the folder the prefix names ("a/b/" walks ROOT/a/b).
		start = filepath.Join(d.root, filepath.FromSlash(prefix[:i]))
	}
	err := filepath.WalkDir(start, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if p == start && errors.Is(err, fs.ErrNotExist) {
				return filepath.SkipAll
			}
			return err
		}
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			if e.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if e.IsDir() {
			return ctx.Err()
		}
		rel, err := filepath.Rel(d.root, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if !strings.HasPrefix(key, prefix) {
			return nil
		}
		st, err := e.Info()
		if err != nil {
			return err
		}
		out = append(out, ObjectInfo{Key: key, Size: st.Size(), Modified: st.ModTime()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", d.root, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

func (d *dirStore) Stat(ctx context.Context, key string) (ObjectInfo, error) {
	p, err := d.path(key)
	if err != nil {
		return ObjectInfo{}, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return ObjectInfo{}, fmt.Errorf("%s: %w", p, ErrNotFound)
	}
	if err != nil {
		return ObjectInfo{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return ObjectInfo{}, err
	}
	if !st.Mode().IsRegular() {
		return ObjectInfo{}, fmt.Errorf("%s: not a regular file", p)
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return ObjectInfo{}, fmt.Errorf("read %s: %w", p, err)
	}
	return ObjectInfo{Key: key, Size: st.Size(), Modified: st.ModTime(), SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

func (d *dirStore) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	p, err := d.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", p, ErrNotFound)
	}
	return f, err
}

func (d *dirStore) Put(ctx context.Context, key string, r io.Reader, size int64, opts PutOptions) error {
	if !opts.RetainUntil.IsZero() || opts.LegalHold {
		return d.CheckObjectLock(ctx)
	}
	p, err := d.path(key)
	if err != nil {
		return err
	}
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create folder %s: %w", dir, err)
	}
	tdir := filepath.Join(d.root, tmpDir)
	if err := os.MkdirAll(tdir, 0o755); err != nil {
		return fmt.Errorf("create folder %s: %w", tdir, err)
	}
	d.sweep(dir, 0)
	d.sweep(tdir, staleTemp)
	tmp, err := os.CreateTemp(tdir, tmpPrefix+path.Base(key)+"-*")
	if err != nil {
		return fmt.Errorf("create temporary file for %s: %w", p, err)
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), r)
	if err == nil && n != size {
		err = fmt.Errorf("wrote %d bytes, want %d", n, size)
	}
	if err == nil && opts.SHA256 != "" && hex.EncodeToString(h.Sum(nil)) != opts.SHA256 {
		err = errors.New("content does not match its sha256")
	}
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	if opts.CreateOnly {
		if err := os.Link(tmp.Name(), p); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("%s: %w", p, ErrExists)
			}
			return fmt.Errorf("link %s: %w", p, err)
		}
		return nil
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return fmt.Errorf("rename into %s: %w", p, err)
	}
	return nil
}

func (d *dirStore) CheckObjectLock(context.Context) error {
	return fmt.Errorf("folder %s: %w: a local folder cannot hold retention or a legal hold (publish to an S3 bucket with Object Lock)", d.root, ErrObjectLockUnsupported)
}

func (d *dirStore) Protect(ctx context.Context, _ string, _ time.Time, _ bool) error {
	return d.CheckObjectLock(ctx)
}

func (d *dirStore) Presign(context.Context, string, time.Duration) (string, error) {
	return "", fmt.Errorf("folder %s: download links need an S3 location", d.root)
}
