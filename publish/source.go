package publish

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"path"
	"strings"

	"github.com/raysynth/raysynth/manifest"
)

// LatestName is the name of the pointer object beside a release's versions: PREFIX/NAME/LATEST.
const LatestName = "LATEST"

// Pointer is the content of a LATEST object.
type Pointer struct {
	Name              string `json:"name"`
	Version           string `json:"version"`
	TagManifestSHA256 string `json:"tagmanifest_sha256"`
}

const maxPointerSize = 4096

func (p Pointer) encode() []byte {
	b, _ := json.MarshalIndent(p, "", "  ")
	return append(b, '\n')
}

// ParsePointer reads a LATEST object.
func ParsePointer(data []byte) (Pointer, error) {
	var p Pointer
	if len(data) > maxPointerSize {
		return p, fmt.Errorf("%s is %d bytes, more than %d", LatestName, len(data), maxPointerSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return p, fmt.Errorf("%s is not a pointer: %v", LatestName, err)
	}
	if dec.More() {
		return p, fmt.Errorf("%s has trailing data", LatestName)
	}
	if err := checkSegment("release name", p.Name); err != nil {
		return p, fmt.Errorf("%s: %v", LatestName, err)
	}
	if err := checkSegment("version", p.Version); err != nil {
		return p, fmt.Errorf("%s: %v", LatestName, err)
	}
	if len(p.TagManifestSHA256) != 64 || strings.ToLower(p.TagManifestSHA256) != p.TagManifestSHA256 {
		return p, fmt.Errorf("%s: tagmanifest_sha256 %q is not a lowercase hex sha256", LatestName, p.TagManifestSHA256)
	}
	if _, err := hex.DecodeString(p.TagManifestSHA256); err != nil {
		return p, fmt.Errorf("%s: tagmanifest_sha256 is not hex", LatestName)
	}
	return p, nil
}

// ReadPointer reads and parses the object at key (a NAME/LATEST key). It returns an error wrapping
// [ErrNotFound] when there is none.
func ReadPointer(ctx context.Context, st Store, key string) (Pointer, error) {
	rc, err := st.Get(ctx, key)
	if err != nil {
		return Pointer{}, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxPointerSize+1))
	if err != nil {
		return Pointer{}, fmt.Errorf("read %s: %w", key, err)
	}
	p, err := ParsePointer(data)
	if err != nil {
		return Pointer{}, fmt.Errorf("%s in %s: %w", key, st, err)
	}
	return p, nil
}

// Release is one NAME/VERSION folder of a store, readable as a [manifest.Source].
type Release struct {
	Store   Store
	Dir     string   // key prefix of the release, without trailing slash (e.g. "releases/chest/1.0.0")
	Name    string   // NAME
	Version string   // VERSION
	Pointer *Pointer // the LATEST pointer it was reached through, or nil
}

// OpenRelease finds the release at ref, a key path relative to the store root: either a version
// folder "…/NAME/VERSION" (with bagit.txt in it), or a release name "…/NAME" whose LATEST
// pointer names the version. It returns an error wrapping [ErrNoRelease] when there is neither.
func OpenRelease(ctx context.Context, st Store, ref string) (*Release, error) {
	ref = strings.Trim(ref, "/")
	where := st.String()
	if ref != "" {
		where = strings.TrimSuffix(where, "/") + "/" + ref
	}
	if ref == "" {
		return nil, fmt.Errorf("%s: %w: give the release as …/NAME or …/NAME/VERSION", where, ErrNoRelease)
	}
	if _, err := st.Stat(ctx, ref+"/"+manifest.FileBagIt); err == nil {
		name, version := path.Base(path.Dir(ref)), path.Base(ref)
		if path.Dir(ref) == "." {
			name = ""
		}
		return &Release{Store: st, Dir: ref, Name: name, Version: version}, nil
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	p, err := ReadPointer(ctx, st, ref+"/"+LatestName)
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("%s: %w: neither a version folder (with %s) nor a release name (with %s)", where, ErrNoRelease, manifest.FileBagIt, LatestName)
	}
	if err != nil {
		return nil, err
	}
	dir := ref + "/" + p.Version
	if _, err := st.Stat(ctx, dir+"/"+manifest.FileBagIt); err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, fmt.Errorf("%s/%s points to version %s, which is missing: %w", where, LatestName, p.Version, ErrNoRelease)
		}
		return nil, err
	}
	return &Release{Store: st, Dir: dir, Name: path.Base(ref), Version: p.Version, Pointer: &p}, nil
}

// String names the release location.
func (r *Release) String() string { return strings.TrimSuffix(r.Store.String(), "/") + "/" + r.Dir }

// Source returns the release as a [manifest.Source] for verification in place. When the release
// was reached through LATEST, reading tagmanifest-sha256.txt fails unless its sha256 is the one
// the pointer names, so a pointer to other content never verifies.
func (r *Release) Source() manifest.Source { return &storeSource{r: r} }

type storeSource struct{ r *Release }

func (s *storeSource) String() string { return s.r.String() }

func (s *storeSource) List(ctx context.Context) ([]manifest.FileInfo, error) {
	objs, err := s.r.Store.List(ctx, s.r.Dir+"/")
	if err != nil {
		return nil, err
	}
	out := make([]manifest.FileInfo, 0, len(objs))
	for _, o := range objs {
		out = append(out, manifest.FileInfo{Name: strings.TrimPrefix(o.Key, s.r.Dir+"/"), Size: o.Size})
	}
	return out, nil
}

func (s *storeSource) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	if err := safeKey(name); err != nil {
		return nil, err
	}
	rc, err := s.r.Store.Get(ctx, s.r.Dir+"/"+name)
	if err != nil {
		return nil, err
	}
	if name == manifest.FileTagManifest && s.r.Pointer != nil {
		return &pinnedReader{rc: rc, h: sha256.New(), want: s.r.Pointer.TagManifestSHA256}, nil
	}
	return rc, nil
}

// pinnedReader fails at EOF when the content's sha256 is not the one a LATEST pointer names.
type pinnedReader struct {
	rc   io.ReadCloser
	h    hash.Hash
	want string
}

func (p *pinnedReader) Read(b []byte) (int, error) {
	n, err := p.rc.Read(b)
	p.h.Write(b[:n])
	if err == io.EOF {
		if got := hex.EncodeToString(p.h.Sum(nil)); got != p.want {
			return n, fmt.Errorf("%s has sha256 %s but %s names %s", manifest.FileTagManifest, got, LatestName, p.want)
		}
	}
	return n, err
}

func (p *pinnedReader) Close() error { return p.rc.Close() }
