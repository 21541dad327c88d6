package publish

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/raysynth/raysynth/manifest"
)

// ErrNotBundle is returned by [VerifyAt] for a folder that is neither a bundle (no bagit.txt) nor
// a release name (no LATEST).
var ErrNotBundle = errors.New("not a bundle")

// Open opens the store of releases named by where: s3://BUCKET/PREFIX through s3 (whose Bucket
// and Prefix it sets from where), or a local folder. A bad s3:// URL wraps [ErrBadURL].
func Open(ctx context.Context, where string, s3 S3Config) (Store, error) {
	loc, err := ParseLocation(where)
	if err != nil {
		return nil, err
	}
	if !loc.IsS3() {
		return OpenDir(loc.Dir)
	}
	s3.Bucket, s3.Prefix = loc.Bucket, loc.Prefix
	return OpenS3(ctx, s3)
}

// OpenReleaseAt finds the release at ref, s3://BUCKET/PREFIX/NAME[/VERSION] (through s3) or a
// folder …/NAME[/VERSION], as [OpenRelease] does inside a store: without VERSION it follows
// NAME/LATEST. The store is the bucket's or the file system's root, so the release's binding
// (its name and version) is checked against its whole location.
func OpenReleaseAt(ctx context.Context, ref string, s3 S3Config) (*Release, error) {
	var st Store
	var key string
	if IsS3URL(ref) {
		loc, err := ParseLocation(ref)
		if err != nil {
			return nil, err
		}
		key = loc.Prefix
		s3.Bucket, s3.Prefix = loc.Bucket, ""
		if st, err = OpenS3(ctx, s3); err != nil {
			return nil, err
		}
	} else {
		abs, err := filepath.Abs(ref)
		if err != nil {
			return nil, err
		}
		key = filepath.ToSlash(strings.TrimPrefix(abs, string(filepath.Separator)))
		if st, err = OpenDir(string(filepath.Separator)); err != nil {
			return nil, err
		}
	}
	return OpenRelease(ctx, st, key)
}

// VerifyAt verifies what `raysynth verify` is given. A release in object storage
// (s3://BUCKET/PREFIX/NAME[/VERSION]) or a release name folder of a published folder store
// (DIR/NAME with a LATEST pointer) is verified in place with [VerifyRelease]: bound to its name,
// version and LATEST pointer, with rollback protection. Anything else is a local bundle folder,
// verified as it is; a folder with neither bagit.txt nor LATEST is [ErrNotBundle]. When the
// release cannot be opened the result is nil and the error is [OpenReleaseAt]'s.
func VerifyAt(ctx context.Context, ref string, s3 S3Config, keys []*manifest.PublicKey) (*manifest.VerifyResult, error) {
	if !IsS3URL(ref) {
		_, errBag := os.Stat(filepath.Join(ref, manifest.FileBagIt))
		_, errLatest := os.Stat(filepath.Join(ref, LatestName))
		if errBag != nil && errLatest != nil {
			if fi, err := os.Stat(ref); err == nil && fi.IsDir() {
				return nil, fmt.Errorf("%s: %w (no %s)", ref, ErrNotBundle, manifest.FileBagIt)
			}
		}
		if errBag == nil || errLatest != nil {
			return manifest.Verify(ctx, manifest.DirSource(ref), manifest.VerifyOptions{Keys: keys})
		}
	}
	rel, err := OpenReleaseAt(ctx, ref, s3)
	if err != nil {
		return nil, err
	}
	if s3.Log != nil {
		s3.Log.Info("verifying in place", "release", rel.String(), "via_latest", rel.Pointer != nil)
	}
	return VerifyRelease(ctx, rel, keys)
}
