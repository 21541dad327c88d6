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
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/raysynth/raysynth/internal/fsutil"
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
	Source     string                 `json:"source"`
	Out        string                 `json:"out"`
	Name       string                 `json:"name"`
	Version    string                 `json:"version"`
	Files      int                    `json:"files"`
	Bytes      int64                  `json:"bytes"`
	Downloaded int                    `json:"downloaded"`
	Reused     int                    `json:"reused"` // files kept from an interrupted earlier run
	Seconds    float64                `json:"seconds"`
	Verify     *manifest.VerifyResult `json:"verify"`
	ViaLatest  bool                   `json:"via_latest"`
	// NotDownloaded lists objects of the release that no signed manifest lists.
	NotDownloaded []string `json:"not_downloaded,omitempty"`
	PartialKept   string   `json:"-"`
}

// maxTagFile bounds the size of each tag file (bagit.txt, croissant.json, provenance.json, …)
// fetch downloads; a release's are a few KB each.
const maxTagFile = 16 << 20

// maxSigFile bounds tagmanifest-sha256.txt and its signature, downloaded before anything is
// trusted.
const maxSigFile = 1 << 20

// partSuffix marks a file being downloaded inside the staging folder.
const partSuffix = ".rsdl-part"

// Fetch downloads a release into a staging folder beside Out (.tmp-<out>-fetch-<name>-<version>),
// verifies it there, and only then renames it to Out. It downloads only what the signed manifests
// list, in this order: tagmanifest-sha256.txt and its signature (checked before anything else is
// downloaded), the tag files it lists and provenance.json with its signature (each at most 16 MB),
// then the payload manifest-sha256.txt lists, once the store's listing agrees with the manifests
// and Payload-Oxum; any other object is reported and the fetch fails before the payload. When the
// release was reached through LATEST, a newer signed version under the same name fails it
// (rollback). An interrupted run leaves the staging folder so the next run resumes, skipping
// files already downloaded with the right size and sha256. A release that fails verification
// leaves nothing: the staging folder is removed and the error wraps [manifest.ErrVerification]
// and names the rule that failed.
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
	fail := func(rule, format string, a ...any) error {
		return fmt.Errorf("release %s: %w: rule %s: %s; nothing was written to %s", rel, manifest.ErrVerification, rule, fmt.Sprintf(format, a...), cfg.Out)
	}
	listed := map[string]ObjectInfo{}
	for _, o := range objs {
		name := strings.TrimPrefix(o.Key, rel.Dir+"/")
		if err := safeKey(name); err != nil || strings.HasSuffix(name, partSuffix) {
			return nil, fmt.Errorf("release %s has an object with an unsafe name %q: %w: rule safe-names: %w", rel, name, manifest.ErrVerification, ErrUnsafeKey)
		}
		listed[name] = o
	}
	if rel.Pointer != nil {
		hi, err := HighestSigned(ctx, rel.Store, path.Dir(rel.Dir), cfg.Keys)
		if err != nil {
			return nil, err
		}
		if hi.Version != "" && compareVersions(hi.Version, rel.Version) > 0 {
			return res, fail("rollback", "%s %s", LatestName, rollbackProblem(rel, hi).Detail)
		}
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
	discard := func(err error) (*FetchResult, error) {
		os.RemoveAll(stage)
		res.PartialKept = ""
		return res, err
	}

	var total int64
	for _, o := range objs {
		total += o.Size
	}
	ftask := start(cfg.Progress, "download "+rel.Name+" "+rel.Version, int64(len(objs)), "files")
	btask := start(cfg.Progress, "download bytes", total, "bytes")
	defer ftask.Done()
	defer btask.Done()
	var downloaded, reused atomic.Int64
	want := map[string]string{} // sha256 the signed manifests give, for resuming
	get := func(name string) error {
		o := listed[name]
		dst := filepath.Join(stage, filepath.FromSlash(name))
		if sum, ok := want[name]; ok {
			if st, err := os.Lstat(dst); err == nil && st.Mode().IsRegular() && st.Size() == o.Size {
				if got, err := fsutil.FileSHA256(dst); err == nil && got == sum {
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
	readStaged := func(name string) ([]byte, error) { return os.ReadFile(filepath.Join(stage, filepath.FromSlash(name))) }

	// 1. The tag manifest and its signature, nothing else until the signature verifies.
	for _, name := range []string{manifest.FileTagManifest, manifest.FileTagManifestSig} {
		o, ok := listed[name]
		switch {
		case !ok:
			return discard(fail("signed-tag-manifest", "%s is missing", name))
		case o.Size > maxSigFile:
			return discard(fail("size-cap", "%s is %d bytes, more than %d; not downloaded", name, o.Size, maxSigFile))
		}
		if err := get(name); err != nil {
			return nil, err
		}
	}
	tm, err := readStaged(manifest.FileTagManifest)
	if err != nil {
		return nil, err
	}
	sig, err := readStaged(manifest.FileTagManifestSig)
	if err != nil {
		return nil, err
	}
	_, tagEntries, err := manifest.VerifyTagManifest(tm, sig, cfg.Keys)
	if err != nil {
		return discard(fail("signature", "%v", errors.Unwrap(err)))
	}
	if rel.Pointer != nil {
		if got := sha256Hex(tm); got != rel.Pointer.TagManifestSHA256 {
			return discard(fail("latest", "%s has sha256 %s, but %s names %s", manifest.FileTagManifest, got, LatestName, rel.Pointer.TagManifestSHA256))
		}
	}

	// 2. The tag files the signed tag manifest lists, and the provenance with its signature.
	tagNames := []string{manifest.FileProvenance, manifest.FileProvenanceSig}
	for _, e := range tagEntries {
		if strings.HasPrefix(e.Path, "data/") {
			return discard(fail("signed-tag-manifest", "%s lists %s, which is not a tag file", manifest.FileTagManifest, e.Path))
		}
		want[e.Path] = e.SHA256
		tagNames = append(tagNames, e.Path)
	}
	for _, name := range tagNames {
		o, ok := listed[name]
		switch {
		case !ok:
			return discard(fail("complete-release", "%s is missing", name))
		case o.Size > maxTagFile:
			return discard(fail("size-cap", "%s is %d bytes, more than a tag file may be (%d); not downloaded", name, o.Size, maxTagFile))
		}
	}
	if err := forEach(ctx, len(tagNames), par, func(i int) error { return get(tagNames[i]) }); err != nil {
		return nil, err
	}
	for _, e := range tagEntries {
		data, err := readStaged(e.Path)
		if err != nil {
			return nil, err
		}
		if got := sha256Hex(data); got != e.SHA256 {
			return discard(fail("hash", "%s has sha256 %s, the signed %s says %s", e.Path, got, manifest.FileTagManifest, e.SHA256))
		}
	}

	// 3. The payload the signed manifest lists; the listing must agree with it and with
	// Payload-Oxum before any payload is downloaded.
	var payload []string
	var payloadBytes int64
	if data, err := readStaged(manifest.FileManifest); err == nil {
		entries, err := manifest.ParseManifest(data)
		if err != nil {
			return discard(fail("manifest", "%s: %v", manifest.FileManifest, err))
		}
		for _, e := range entries {
			if !strings.HasPrefix(e.Path, "data/") {
				return discard(fail("manifest", "%s lists %s, which is outside data/", manifest.FileManifest, e.Path))
			}
			o, ok := listed[e.Path]
			if !ok {
				return discard(fail("complete-release", "%s is listed in %s but missing", e.Path, manifest.FileManifest))
			}
			want[e.Path] = e.SHA256
			payload = append(payload, e.Path)
			payloadBytes += o.Size
		}
	}
	var extra []string
	for name := range listed {
		if _, ok := want[name]; !ok && name != manifest.FileTagManifest && name != manifest.FileTagManifestSig &&
			name != manifest.FileProvenance && name != manifest.FileProvenanceSig {
			extra = append(extra, name)
		}
	}
	if len(extra) > 0 {
		slices.Sort(extra)
		res.NotDownloaded = extra
		return discard(fail("unexpected", "%d object(s) that no signed manifest lists, not downloaded: %s", len(extra), firstN(extra, 5)))
	}
	if data, err := readStaged(manifest.FileBagInfo); err == nil {
		if bi, err := manifest.ParseBagInfo(data); err == nil {
			if ob, of, err := bi.Oxum(); err == nil && (ob != payloadBytes || of != int64(len(payload))) {
				return discard(fail("payload-oxum", "the store lists %d payload files of %d bytes but %s declares %d files of %d bytes",
					len(payload), payloadBytes, manifest.FileBagInfo, of, ob))
			}
		}
	}
	for _, name := range slices.Concat([]string{manifest.FileTagManifest, manifest.FileTagManifestSig}, tagNames, payload) {
		res.Files++
		res.Bytes += listed[name].Size
	}
	if err := forEach(ctx, len(payload), par, func(i int) error { return get(payload[i]) }); err != nil {
		return nil, err
	}
	res.Downloaded, res.Reused = int(downloaded.Load()), int(reused.Load())

	// 4. The whole bundle, bound to where it came from.
	vr, err := manifest.Verify(ctx, manifest.DirSource(stage), manifest.VerifyOptions{Keys: cfg.Keys, Binding: rel.Binding()})
	res.Verify = vr
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return discard(fmt.Errorf("release %s does not verify; nothing was written to %s: %w", rel, cfg.Out, describeProblems(vr, err)))
	}
	if rel.Pointer != nil {
		vr.HighestSignedVersion = rel.Version
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

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
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
