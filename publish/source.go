package publish

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
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

// pointerFormatError is a LATEST object that is not a valid pointer.
type pointerFormatError struct{ err error }

func (e *pointerFormatError) Error() string { return e.err.Error() }
func (e *pointerFormatError) Unwrap() error { return e.err }

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
		return Pointer{}, &pointerFormatError{fmt.Errorf("%s in %s: %w", key, st, err)}
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
// pointer names the version. It returns an error wrapping [ErrNoRelease] when there is neither,
// and one wrapping [manifest.ErrVerification] (with the rule that failed) when what is there
// cannot be a release: a version folder without bagit.txt, a LATEST pointer that does not parse,
// names another release or a missing version.
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
		// Objects under ref but no bagit.txt: an incomplete (or emptied) release, not a typo.
		if objs, lerr := st.List(ctx, ref+"/"); lerr == nil && len(objs) > 0 && looksLikeVersion(ref, objs) {
			return nil, fmt.Errorf("%s: %w: rule complete-release: %d objects but no %s: the release is incomplete or was tampered with",
				where, manifest.ErrVerification, len(objs), manifest.FileBagIt)
		}
		return nil, fmt.Errorf("%s: %w: neither a version folder (with %s) nor a release name (with %s)", where, ErrNoRelease, manifest.FileBagIt, LatestName)
	}
	var nf *pointerFormatError
	if errors.As(err, &nf) {
		return nil, fmt.Errorf("%s/%s: %w: rule latest-pointer: %v", where, LatestName, manifest.ErrVerification, nf.err)
	}
	if err != nil {
		return nil, err
	}
	if p.Name != path.Base(ref) {
		return nil, fmt.Errorf("%s/%s: %w: rule latest-name: the pointer names release %q, but it sits under %q",
			where, LatestName, manifest.ErrVerification, p.Name, path.Base(ref))
	}
	dir := ref + "/" + p.Version
	if _, err := st.Stat(ctx, dir+"/"+manifest.FileBagIt); err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, fmt.Errorf("%s/%s points to version %s, which is missing: %w: rule latest-target", where, LatestName, p.Version, manifest.ErrVerification)
		}
		return nil, err
	}
	return &Release{Store: st, Dir: dir, Name: path.Base(ref), Version: p.Version, Pointer: &p}, nil
}

// looksLikeVersion reports whether the objects under ref include a bundle's files (its payload
// or tag files), so ref is a release version missing its bagit.txt rather than something else.
func looksLikeVersion(ref string, objs []ObjectInfo) bool {
	for _, o := range objs {
		rest := strings.TrimPrefix(o.Key, ref+"/")
		switch {
		case strings.HasPrefix(rest, "data/"), strings.HasSuffix(rest, ".sigstore.json"),
			slices.Contains([]string{manifest.FileBagInfo, manifest.FileManifest, manifest.FileTagManifest, manifest.FileCroissant, manifest.FileProvenance}, rest):
			return true
		}
	}
	return false
}

// String names the release location.
func (r *Release) String() string { return strings.TrimSuffix(r.Store.String(), "/") + "/" + r.Dir }

// Binding is what the release's location says it is: NAME/VERSION, and the tag manifest the LATEST
// pointer names when it was reached through one. [manifest.Verify] fails a bundle that says
// otherwise.
func (r *Release) Binding() *manifest.Binding {
	b := &manifest.Binding{Where: r.String(), Name: r.Name, Version: r.Version}
	if r.Pointer != nil {
		b.Pointer = strings.TrimSuffix(r.Store.String(), "/") + "/" + path.Dir(r.Dir) + "/" + LatestName
		b.TagManifestSHA256 = r.Pointer.TagManifestSHA256
	}
	return b
}

// Source returns the release as a [manifest.Source] for verification in place. Verify it with
// [Release.Binding] (as [VerifyRelease] does), so that a bundle stored under another name or
// version, or a LATEST pointer to other content, fails.
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
	return s.r.Store.Get(ctx, s.r.Dir+"/"+name)
}

// VerifyRelease verifies a release in place: [manifest.Verify] bound to the release's location
// ([Release.Binding]) and, when the release was reached through LATEST, rollback protection: the
// highest version under the release name whose signature verifies with keys is reported, and a
// LATEST naming an older one is a [manifest.KindRollback] problem. The error wraps
// [manifest.ErrVerification] when there is any problem.
func VerifyRelease(ctx context.Context, rel *Release, keys []*manifest.PublicKey) (*manifest.VerifyResult, error) {
	vr, err := manifest.Verify(ctx, rel.Source(), manifest.VerifyOptions{Keys: keys, Binding: rel.Binding()})
	if vr == nil || rel.Pointer == nil {
		return vr, err
	}
	hi, herr := HighestSigned(ctx, rel.Store, path.Dir(rel.Dir), keys)
	if herr != nil {
		return nil, herr
	}
	vr.HighestSignedVersion = hi.Version
	if hi.Version != "" && compareVersions(hi.Version, rel.Version) > 0 {
		vr.Problems = append(vr.Problems, rollbackProblem(rel, hi))
		if err == nil {
			err = fmt.Errorf("%w: %s: %d problem(s)", manifest.ErrVerification, rel, len(vr.Problems))
		}
	}
	return vr, err
}

func rollbackProblem(rel *Release, hi manifest.Identity) manifest.Problem {
	return manifest.Problem{File: LatestName, Kind: manifest.KindRollback, Detail: fmt.Sprintf(
		"names version %s, but version %s is present and signed by key %s: the pointer was moved back, or %s was published without moving it",
		rel.Version, hi.Version, hi.KeyHint, hi.Version)}
}

// HighestSigned returns the highest version under the release name folder nameDir (NAME,
// relative to the store root) whose tag manifest is signed by one of keys and whose bag-info.txt
// names NAME/VERSION, checked with [manifest.SignedIdentity] (three small reads per version,
// highest first, stopping at the first that verifies). It returns a zero Identity when no version
// verifies.
func HighestSigned(ctx context.Context, st Store, nameDir string, keys []*manifest.PublicKey) (manifest.Identity, error) {
	objs, err := st.List(ctx, nameDir+"/")
	if err != nil {
		return manifest.Identity{}, err
	}
	var versions []string
	for _, o := range objs {
		rest := strings.TrimPrefix(o.Key, nameDir+"/")
		if v, f, ok := strings.Cut(rest, "/"); ok && f == manifest.FileBagIt && checkSegment("version", v) == nil {
			versions = append(versions, v)
		}
	}
	slices.SortFunc(versions, func(a, b string) int { return compareVersions(b, a) })
	name := path.Base(nameDir)
	for _, v := range versions {
		rel := &Release{Store: st, Dir: nameDir + "/" + v, Name: name, Version: v}
		id, err := manifest.SignedIdentity(ctx, rel.Source(), keys)
		if err == nil && id.Name == name && id.Version == v {
			return id, nil
		}
		if err := ctx.Err(); err != nil {
			return manifest.Identity{}, err
		}
	}
	return manifest.Identity{}, nil
}
