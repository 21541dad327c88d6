package publish

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/raysynth/raysynth/manifest"
)

// FetchConfig says which release to download where.
type FetchConfig struct {
	Store    Store                 // where the release lives (root of the ref)
	Ref      string                // key path of the release: …/NAME (follows LATEST) or …/NAME/VERSION
	Release  *Release              // the release, already opened with [OpenRelease] (instead of Store and Ref)
	Out      string                // folder to create; must not exist or be empty
	Keys     []*manifest.PublicKey // the release must verify with one of them
	Parallel int                   // concurrent downloads; 0 means 4
	Progress Reporter
	Log      *slog.Logger
}

// Validate checks the configuration.
func (c FetchConfig) Validate() error {
	switch {
	case c.Store == nil && c.Release == nil:
		return errors.New("no source location given")
	case c.Out == "":
		return errors.New("no output folder given (--out)")
	case len(c.Keys) == 0:
		return errors.New("no public key given: fetch verifies the release before keeping it (--key)")
	case c.Parallel < 0 || c.Parallel > 128:
		return fmt.Errorf("parallel downloads must be between 1 and 128, not %d", c.Parallel)
	}
	return nil
}

// FetchResult reports what Fetch did.
type FetchResult struct {
	Source      string                 `json:"source"`
	Out         string                 `json:"out"`
	Name        string                 `json:"name"`
	Version     string                 `json:"version"`
	Files       int                    `json:"files"`
	Bytes       int64                  `json:"bytes"`
	Downloaded  int                    `json:"downloaded"`
	Reused      int                    `json:"reused"` // files kept from an interrupted earlier run
	Seconds     float64                `json:"seconds"`
	Verify      *manifest.VerifyResult `json:"verify"`
	ViaLatest   bool                   `json:"via_latest"`
	PartialKept string                 `json:"-"`
}

// maxTagFile bounds the size of a file outside data/ that fetch downloads.
const maxTagFile = 64 << 20

// partSuffix marks a file being downloaded inside the staging folder.
const partSuffix = ".rsdl-part"

// Fetch downloads a release into a staging folder beside Out (.tmp-<out>-fetch-<name>-<version>),
// verifies it there, and only then renames it to Out. An interrupted run leaves the staging folder
// so the next run resumes, skipping files already downloaded with the right size and (for
// payload files) sha256. A release that fails verification leaves nothing: the staging folder is
// removed and the error wraps [manifest.ErrVerification].
func Fetch(ctx context.Context, cfg FetchConfig) (*FetchResult, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	t0 := time.Now()
	par := cfg.Parallel
	if par == 0 {
		par = 4
	}
	if ents, err := os.ReadDir(cfg.Out); err == nil && len(ents) > 0 {
		return nil, fmt.Errorf("%s already exists and is not empty: %w (choose another --out or remove it)", cfg.Out, fs.ErrExist)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("output folder %s: %w", cfg.Out, err)
	}
	rel := cfg.Release
	if rel == nil {
		var err error
		if rel, err = OpenRelease(ctx, cfg.Store, cfg.Ref); err != nil {
			return nil, err
		}
	}
	objs, err := rel.Store.List(ctx, rel.Dir+"/")
	if err != nil {
		return nil, err
	}
	res := &FetchResult{Source: rel.String(), Out: cfg.Out, Name: rel.Name, Version: rel.Version, ViaLatest: rel.Pointer != nil}
	for _, o := range objs {
		name := strings.TrimPrefix(o.Key, rel.Dir+"/")
		if err := safeKey(name); err != nil || strings.HasSuffix(name, partSuffix) {
			return nil, fmt.Errorf("release %s has an object with an unsafe name %q: %w", rel, name, ErrUnsafeKey)
		}
		res.Files++
		res.Bytes += o.Size
	}

	abs, err := filepath.Abs(cfg.Out)
	if err != nil {
		return nil, err
	}
	stage := filepath.Join(filepath.Dir(abs), tmpPrefix+filepath.Base(abs)+"-fetch-"+rel.Name+"-"+rel.Version)
	res.PartialKept = stage
	if err := os.MkdirAll(stage, 0o755); err != nil {
		return nil, fmt.Errorf("create staging folder %s: %w", stage, err)
	}
	if err := removeParts(stage); err != nil {
		return nil, err
	}

	// Tag files first (small; always fetched again), so the payload manifest tells which payload
	// files from an earlier run can be kept.
	want := map[string]string{}
	var tagObjs, payload []ObjectInfo
	var payloadBytes int64
	for _, o := range objs {
		if strings.HasPrefix(strings.TrimPrefix(o.Key, rel.Dir+"/"), "data/") {
			payload = append(payload, o)
			payloadBytes += o.Size
		} else {
			if o.Size > maxTagFile {
				return nil, fmt.Errorf("release %s: %s is %d bytes, more than a tag file may be: %w", rel, o.Key, o.Size, manifest.ErrVerification)
			}
			tagObjs = append(tagObjs, o)
		}
	}
	ftask := start(cfg.Progress, "download "+rel.Name+" "+rel.Version, int64(res.Files), "files")
	btask := start(cfg.Progress, "download bytes", res.Bytes, "bytes")
	defer ftask.Done()
	defer btask.Done()
	var downloaded, reused atomic.Int64
	get := func(o ObjectInfo) error {
		name := strings.TrimPrefix(o.Key, rel.Dir+"/")
		dst := filepath.Join(stage, filepath.FromSlash(name))
		if sum, ok := want[name]; ok {
			if st, err := os.Lstat(dst); err == nil && st.Mode().IsRegular() && st.Size() == o.Size {
				if got, err := fileSHA256(dst); err == nil && got == sum {
					reused.Add(1)
					ftask.Add(1)
					btask.Add(o.Size)
					return nil
				}
			}
		}
		if err := download(ctx, rel.Store, o.Key, dst, o.Size, btask); err != nil {
			return err
		}
		downloaded.Add(1)
		ftask.Add(1)
		return nil
	}
	if err := forEach(ctx, len(tagObjs), par, func(i int) error { return get(tagObjs[i]) }); err != nil {
		return nil, err
	}
	if data, err := os.ReadFile(filepath.Join(stage, manifest.FileManifest)); err == nil {
		if entries, err := manifest.ParseManifest(data); err == nil {
			for _, e := range entries {
				want[e.Path] = e.SHA256
			}
		}
	}
	// The listing must agree with the bag's Payload-Oxum before any payload is downloaded, so a
	// hostile store cannot make fetch download more than the bag declares.
	if data, err := os.ReadFile(filepath.Join(stage, manifest.FileBagInfo)); err == nil {
		if bi, err := manifest.ParseBagInfo(data); err == nil {
			if ob, of, err := bi.Oxum(); err == nil && (ob != payloadBytes || of != int64(len(payload))) {
				os.RemoveAll(stage)
				res.PartialKept = ""
				return res, fmt.Errorf("release %s: the store lists %d payload files of %d bytes but %s declares %d files of %d bytes; nothing was written to %s: %w",
					rel, len(payload), payloadBytes, manifest.FileBagInfo, of, ob, cfg.Out, manifest.ErrVerification)
			}
		}
	}
	if err := forEach(ctx, len(payload), par, func(i int) error { return get(payload[i]) }); err != nil {
		return nil, err
	}
	res.Downloaded, res.Reused = int(downloaded.Load()), int(reused.Load())

	vr, err := manifest.Verify(ctx, manifest.DirSource(stage), manifest.VerifyOptions{Keys: cfg.Keys})
	res.Verify = vr
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		os.RemoveAll(stage)
		res.PartialKept = ""
		return res, fmt.Errorf("release %s does not verify; nothing was written to %s: %w", rel, cfg.Out, describeProblems(vr, err))
	}
	if rel.Pointer != nil {
		got, err := fileSHA256(filepath.Join(stage, manifest.FileTagManifest))
		if err != nil || got != rel.Pointer.TagManifestSHA256 {
			os.RemoveAll(stage)
			return res, fmt.Errorf("release %s: %s names other content than the release holds: %w", rel, LatestName, manifest.ErrVerification)
		}
	}
	if err := os.Remove(cfg.Out); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("output folder %s: %w", cfg.Out, err)
	}
	if err := os.Rename(stage, cfg.Out); err != nil {
		return nil, fmt.Errorf("move the verified release into %s: %w", cfg.Out, err)
	}
	res.PartialKept = ""
	res.Seconds = time.Since(t0).Seconds()
	return res, nil
}

func removeParts(dir string) error {
	return filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !e.IsDir() && strings.HasSuffix(e.Name(), partSuffix) {
			return os.Remove(p)
		}
		return nil
	})
}

func fileSHA256(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// download writes one object to dst via dst+partSuffix, renamed into place when complete.
func download(ctx context.Context, st Store, key, dst string, size int64, bytes Task) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	part := dst + partSuffix
	var counted int64
	err := Retry{}.do(ctx, func() error {
		counted = 0
		rc, err := st.Get(ctx, key)
		if err != nil {
			return err
		}
		defer rc.Close()
		f, err := os.Create(part)
		if err != nil {
			return permanentError{err}
		}
		n, err := io.Copy(f, io.LimitReader(&countReader{r: rc, t: bytes, n: &counted}, size+1))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		if n != size {
			return permanentError{fmt.Errorf("%s: got %d bytes, listed as %d", key, n, size)}
		}
		return nil
	})
	if err != nil {
		os.Remove(part)
		return fmt.Errorf("download %s: %w", key, err)
	}
	return os.Rename(part, dst)
}

type countReader struct {
	r io.Reader
	t Task
	n *int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.t.Add(int64(n))
	*c.n += int64(n)
	return n, err
}
