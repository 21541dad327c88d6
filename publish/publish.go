package publish

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/raysynth/raysynth/manifest"
)

// Reporter starts progress tasks. cmd backs it with internal/progress (whose Task satisfies
// [Task]); nil reports nothing.
type Reporter interface {
	Start(name string, total int64, unit string) Task
}

// Task is one running progress task.
type Task interface {
	Add(n int64)
	Done()
}

type nopTask struct{}

func (nopTask) Add(int64) {}
func (nopTask) Done()     {}

func start(r Reporter, name string, total int64, unit string) Task {
	if r == nil {
		return nopTask{}
	}
	return r.Start(name, total, unit)
}

// Config says what to publish where.
type Config struct {
	Bundle       string                // bundle folder (as written by manifest)
	Store        Store                 // destination root: PREFIX
	Keys         []*manifest.PublicKey // keys the bundle must verify with before anything is uploaded
	Parallel     int                   // concurrent uploads; 0 means 4
	RetainUntil  time.Time             // Object Lock retention (COMPLIANCE) until then; zero for none
	LegalHold    bool                  // put a legal hold on every object of the release
	Presign      time.Duration         // > 0: return download links valid that long (at most 7 days)
	VerifyRemote bool                  // verify the uploaded release in place before moving LATEST
	Tags         map[string]string     // object tags; default classification=synthetic
	Progress     Reporter
	Log          *slog.Logger
}

// MaxPresign is the longest validity of a presigned link (an S3 limit).
const MaxPresign = 7 * 24 * time.Hour

// Validate checks the configuration.
func (c Config) Validate() error {
	switch {
	case c.Bundle == "":
		return errors.New("no bundle folder given")
	case c.Store == nil:
		return errors.New("no destination given")
	case len(c.Keys) == 0:
		return errors.New("no public key given: publish verifies the bundle's signature before uploading (--key)")
	case c.Parallel < 0 || c.Parallel > 128:
		return fmt.Errorf("parallel uploads must be between 1 and 128, not %d", c.Parallel)
	case c.Presign < 0 || c.Presign > MaxPresign:
		return fmt.Errorf("link validity must be at most 7 days (168h), not %s", c.Presign)
	case !c.RetainUntil.IsZero() && !c.RetainUntil.After(time.Now()):
		return errors.New("retention must end in the future")
	}
	for k, v := range c.Tags {
		if k == "" || len(k) > 128 || len(v) > 256 {
			return fmt.Errorf("bad object tag %q=%q", k, v)
		}
	}
	return nil
}

// Result reports what Publish did.
type Result struct {
	Location         string    `json:"location"`          // s3://BUCKET/PREFIX/NAME/VERSION or a folder
	Name             string    `json:"name"`              // release name
	Version          string    `json:"version"`           // release version
	KeyHint          string    `json:"key_hint"`          // hint of the key that signed it
	Files            int       `json:"files"`             // objects in the release
	Bytes            int64     `json:"bytes"`             // their total size
	Uploaded         int       `json:"uploaded"`          // objects uploaded by this run
	UploadedBytes    int64     `json:"uploaded_bytes"`    // bytes uploaded by this run
	Skipped          int       `json:"skipped"`           // objects already present with the right checksum
	AlreadyPublished bool      `json:"already_published"` // nothing to do: same content was there
	Latest           string    `json:"latest"`            // version LATEST points to afterwards
	LatestUpdated    bool      `json:"latest_updated"`    // this run moved LATEST
	RetainUntil      time.Time `json:"retain_until,omitzero"`
	LegalHold        bool      `json:"legal_hold,omitempty"`
	VerifiedInPlace  bool      `json:"verified_in_place"`
	WriteMode        WriteMode `json:"write_mode"` // how the writes were checked and kept create-only; fallbacks taken
	Seconds          float64   `json:"seconds"`
	Links            []Link    `json:"links,omitempty"`
}

// Link is a presigned download link of one file.
type Link struct {
	File    string    `json:"file"`
	URL     string    `json:"url"`
	Expires time.Time `json:"expires"`
}

// localFile is one bundle file with its digests.
type localFile struct {
	name   string
	size   int64
	sha256 string
	crc    string // base64 CRC-64/NVME
}

// Publish verifies the bundle, then uploads it under NAME/VERSION/ in the safe order (payload,
// tag files, tag manifest, signatures) and moves NAME/LATEST last. A re-run after an interruption
// finishes the release, skipping objects already present with the right checksum. Publishing a
// version that exists with other content fails with [ErrConflict] before anything is written.
func Publish(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	t0 := time.Now()
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	par := cfg.Parallel
	if par == 0 {
		par = 4
	}
	tags := cfg.Tags
	if tags == nil {
		tags = map[string]string{"classification": "synthetic"}
	}

	// 1. The bundle must verify locally with one of the keys.
	src := manifest.DirSource(cfg.Bundle)
	vr, err := manifest.Verify(ctx, src, manifest.VerifyOptions{Keys: cfg.Keys})
	switch {
	case err == nil:
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case errors.Is(err, manifest.ErrVerification):
		return nil, fmt.Errorf("%w: %s does not verify, nothing was uploaded: %w", ErrBundleRefused, cfg.Bundle, describeProblems(vr, err))
	default:
		return nil, fmt.Errorf("read bundle %s: %w", cfg.Bundle, err)
	}
	if err := checkSegment("release name", vr.Name); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBundleRefused, cfg.Bundle, err)
	}
	if err := checkSegment("version", vr.Version); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBundleRefused, cfg.Bundle, err)
	}
	name, version := vr.Name, vr.Version
	dir := name + "/" + version
	res := &Result{Location: strings.TrimSuffix(cfg.Store.String(), "/") + "/" + dir, Name: name, Version: version, KeyHint: vr.KeyHint}
	log.Info("bundle verified", "name", name, "version", version, "key_hint", vr.KeyHint)

	if !cfg.RetainUntil.IsZero() || cfg.LegalHold {
		if err := cfg.Store.CheckObjectLock(ctx); err != nil {
			return nil, err
		}
	}

	if cfg.Presign > 0 {
		if _, err := cfg.Store.Presign(ctx, dir+"/"+manifest.FileBagIt, cfg.Presign); err != nil {
			return nil, err
		}
	}

	// 2. Digests of every file (sha256 for the record, CRC-64/NVME for the transport).
	infos, err := src.List(ctx)
	if err != nil {
		return nil, err
	}
	files, err := hashFiles(ctx, cfg.Bundle, infos, min(par, 4))
	if err != nil {
		return nil, err
	}
	byName := map[string]*localFile{}
	for i := range files {
		byName[files[i].name] = &files[i]
		res.Files++
		res.Bytes += files[i].size
	}
	tagSHA := byName[manifest.FileTagManifest]
	if tagSHA == nil {
		return nil, fmt.Errorf("%w: %s has no %s", ErrBundleRefused, cfg.Bundle, manifest.FileTagManifest)
	}

	// 3. What is there already? Anything different under NAME/VERSION/ refuses the release.
	existing, err := cfg.Store.List(ctx, dir+"/")
	if err != nil {
		return nil, err
	}
	present := map[string]bool{}
	var conflicts []string
	var mu sync.Mutex
	err = forEach(ctx, len(existing), par, func(i int) error {
		o := existing[i]
		rel := strings.TrimPrefix(o.Key, dir+"/")
		lf := byName[rel]
		if lf == nil {
			mu.Lock()
			conflicts = append(conflicts, rel+" (not in the bundle)")
			mu.Unlock()
			return nil
		}
		same, err := sameObject(ctx, cfg.Store, o.Key, lf)
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		if same {
			present[rel] = true
		} else {
			conflicts = append(conflicts, rel)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(conflicts) > 0 {
		sort.Strings(conflicts)
		return nil, fmt.Errorf("%s: %w (%d objects differ: %s); publish it under a new version", res.Location, ErrConflict, len(conflicts), firstN(conflicts, 5))
	}

	// 4. Upload what is missing, phase by phase.
	phases := manifest.PublishOrder(infos)
	n := 0
	for _, ph := range phases {
		n += len(ph)
	}
	if n != len(files) {
		return nil, fmt.Errorf("publish order covers %d of %d files of %s", n, len(files), cfg.Bundle)
	}
	ftask := start(cfg.Progress, "upload "+name+" "+version, int64(len(files)), "files")
	btask := start(cfg.Progress, "upload bytes", res.Bytes, "bytes")
	var uploaded, uploadedBytes, skipped atomic.Int64
	for _, ph := range phases {
		err := forEach(ctx, len(ph), par, func(i int) error {
			lf := byName[ph[i].Name]
			if present[lf.name] {
				if !cfg.RetainUntil.IsZero() || cfg.LegalHold {
					// Already there (an earlier run or publish): protect it as asked too.
					if err := cfg.Store.Protect(ctx, dir+"/"+lf.name, cfg.RetainUntil, cfg.LegalHold); err != nil {
						return err
					}
				}
				skipped.Add(1)
				ftask.Add(1)
				btask.Add(lf.size)
				return nil
			}
			err := putFile(ctx, cfg, dir+"/"+lf.name, lf, tags)
			if errors.Is(err, ErrExists) {
				// Written meanwhile (a concurrent or earlier run): fine if identical.
				same, serr := sameObject(ctx, cfg.Store, dir+"/"+lf.name, lf)
				if serr != nil {
					return serr
				}
				if !same {
					return fmt.Errorf("%s/%s: %w", res.Location, lf.name, ErrConflict)
				}
				skipped.Add(1)
			} else if err != nil {
				return err
			} else {
				uploaded.Add(1)
				uploadedBytes.Add(lf.size)
				log.Debug("uploaded", "object_key", dir+"/"+lf.name, "bytes", lf.size)
			}
			ftask.Add(1)
			btask.Add(lf.size)
			return nil
		})
		if err != nil {
			ftask.Done()
			btask.Done()
			return nil, err
		}
	}
	ftask.Done()
	btask.Done()
	res.Uploaded, res.UploadedBytes, res.Skipped = int(uploaded.Load()), uploadedBytes.Load(), int(skipped.Load())
	res.RetainUntil, res.LegalHold = cfg.RetainUntil, cfg.LegalHold

	// 5. Optionally read the release back through the store and verify it in place.
	rel := &Release{Store: cfg.Store, Dir: dir, Name: name, Version: version}
	if cfg.VerifyRemote {
		if vr2, err := manifest.Verify(ctx, rel.Source(), manifest.VerifyOptions{Keys: cfg.Keys, Binding: rel.Binding()}); err != nil {
			return nil, fmt.Errorf("the uploaded release %s does not verify in place; %s was not moved: %w", res.Location, LatestName, describeProblems(vr2, err))
		}
		res.VerifiedInPlace = true
	}

	// 6. Move LATEST last, unless it already names this content or a newer version.
	ptr := Pointer{Name: name, Version: version, TagManifestSHA256: tagSHA.sha256}
	latestKey := name + "/" + LatestName
	cur, err := ReadPointer(ctx, cfg.Store, latestKey)
	switch {
	case err == nil && cur.Version == version && cur.TagManifestSHA256 == ptr.TagManifestSHA256:
		res.Latest = version
	case err == nil && compareVersions(cur.Version, version) > 0:
		res.Latest = cur.Version
		log.Info("LATEST names a newer version; left as is", "latest", cur.Version)
	case err == nil || errors.Is(err, ErrNotFound):
		body := ptr.encode()
		sum := sha256.Sum256(body)
		err := cfg.Store.Put(ctx, latestKey, strings.NewReader(string(body)), int64(len(body)), PutOptions{
			SHA256: hex.EncodeToString(sum[:]), CRC64NVME: crcOf(body), ContentType: "application/json", Tags: tags,
		})
		if err != nil {
			return nil, fmt.Errorf("move %s: %w", latestKey, err)
		}
		res.Latest, res.LatestUpdated = version, true
	default:
		// An unreadable LATEST is replaced only by a human; say so.
		return nil, fmt.Errorf("release uploaded but %s was not moved: %w", latestKey, err)
	}
	res.AlreadyPublished = res.Uploaded == 0 && !res.LatestUpdated

	// 7. Links.
	if cfg.Presign > 0 {
		exp := time.Now().Add(cfg.Presign).UTC().Truncate(time.Second)
		for _, lf := range files {
			u, err := cfg.Store.Presign(ctx, dir+"/"+lf.name, cfg.Presign)
			if err != nil {
				return nil, err
			}
			res.Links = append(res.Links, Link{File: lf.name, URL: u, Expires: exp})
		}
	}
	res.WriteMode = cfg.Store.WriteMode()
	res.Seconds = time.Since(t0).Seconds()
	return res, nil
}

// describeProblems lists the first verification problems in an error.
func describeProblems(vr *manifest.VerifyResult, err error) error {
	if vr == nil || len(vr.Problems) == 0 {
		return err
	}
	var ps []string
	for _, p := range vr.Problems {
		ps = append(ps, fmt.Sprintf("%s: %s %s", p.File, p.Kind, p.Detail))
	}
	return fmt.Errorf("%w: %s", err, firstN(ps, 5))
}

func firstN(s []string, n int) string {
	if len(s) <= n {
		return strings.Join(s, "; ")
	}
	return strings.Join(s[:n], "; ") + fmt.Sprintf("; and %d more", len(s)-n)
}

func putFile(ctx context.Context, cfg Config, key string, lf *localFile, tags map[string]string) error {
	f, err := os.Open(filepath.Join(cfg.Bundle, filepath.FromSlash(lf.name)))
	if err != nil {
		return err
	}
	defer f.Close()
	return cfg.Store.Put(ctx, key, f, lf.size, PutOptions{
		CreateOnly:  true,
		SHA256:      lf.sha256,
		CRC64NVME:   lf.crc,
		ContentType: contentType(lf.name),
		Tags:        tags,
		RetainUntil: cfg.RetainUntil,
		LegalHold:   cfg.LegalHold,
	})
}

// sameObject tells whether the stored object has exactly the local file's content. It trusts
// the server-verified CRC-64/NVME, else a recorded sha256, else reads the object and hashes it.
func sameObject(ctx context.Context, st Store, key string, lf *localFile) (bool, error) {
	o, err := st.Stat(ctx, key)
	if err != nil {
		return false, err
	}
	if o.Size != lf.size {
		return false, nil
	}
	if o.CRC64NVME != "" {
		return o.CRC64NVME == lf.crc && (o.SHA256 == "" || o.SHA256 == lf.sha256), nil
	}
	if o.SHA256 != "" {
		return o.SHA256 == lf.sha256, nil
	}
	rc, err := st.Get(ctx, key)
	if err != nil {
		return false, err
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, rc); err != nil {
		return false, fmt.Errorf("read %s: %w", key, err)
	}
	return hex.EncodeToString(h.Sum(nil)) == lf.sha256, nil
}

func crcOf(b []byte) string {
	h := minio.ChecksumCRC64NVME.Hasher()
	h.Write(b)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// hashFiles computes each file's sha256 and CRC-64/NVME in one read.
func hashFiles(ctx context.Context, dir string, infos []manifest.FileInfo, par int) ([]localFile, error) {
	out := make([]localFile, len(infos))
	err := forEach(ctx, len(infos), par, func(i int) error {
		fi := infos[i]
		f, err := os.Open(filepath.Join(dir, filepath.FromSlash(fi.Name)))
		if err != nil {
			return err
		}
		defer f.Close()
		sh := sha256.New()
		ch := minio.ChecksumCRC64NVME.Hasher()
		n, err := io.Copy(io.MultiWriter(sh, ch), f)
		if err != nil {
			return fmt.Errorf("read %s: %w", fi.Name, err)
		}
		out[i] = localFile{name: fi.Name, size: n, sha256: hex.EncodeToString(sh.Sum(nil)), crc: base64.StdEncoding.EncodeToString(ch.Sum(nil))}
		return nil
	})
	return out, err
}

// forEach runs fn(0..n-1) on up to par goroutines and returns the first error; after an error or
// a cancelled ctx no new items start.
func forEach(ctx context.Context, n, par int, fn func(i int) error) error {
	if par < 1 {
		par = 1
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for w := 0; w < min(par, n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { first = err; cancel(err) })
					return
				}
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return context.Cause(ctx)
}

func contentType(name string) string {
	switch strings.ToLower(path.Ext(name)) {
	case ".png":
		return "image/png"
	case ".dcm":
		return "application/dicom"
	case ".json":
		return "application/json"
	case ".csv":
		return "text/csv; charset=utf-8"
	case ".md":
		return "text/markdown; charset=utf-8"
	case ".txt":
		return "text/plain; charset=utf-8"
	}
	return "application/octet-stream"
}

// compareVersions orders versions: semantic versions by their numeric core, a pre-release
// ("1.0.0-rc1") before its release, build metadata ignored; other parts compare numerically where
// both are numbers, else as strings. A leading "v" is ignored.
func compareVersions(a, b string) int {
	a, _, _ = strings.Cut(strings.TrimPrefix(a, "v"), "+")
	b, _, _ = strings.Cut(strings.TrimPrefix(b, "v"), "+")
	ac, apre, _ := strings.Cut(a, "-")
	bc, bpre, _ := strings.Cut(b, "-")
	if c := compareDotted(ac, bc); c != 0 {
		return c
	}
	switch {
	case apre == bpre:
		return 0
	case apre == "":
		return 1
	case bpre == "":
		return -1
	}
	return compareDotted(apre, bpre)
}

func compareDotted(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) || i < len(bs); i++ {
		if i >= len(as) {
			return -1
		}
		if i >= len(bs) {
			return 1
		}
		x, ex := strconv.Atoi(as[i])
		y, ey := strconv.Atoi(bs[i])
		if ex == nil && ey == nil {
			if x != y {
				if x < y {
					return -1
				}
				return 1
			}
			continue
		}
		if c := strings.Compare(as[i], bs[i]); c != 0 {
			return c
		}
	}
	return 0
}
