package manifest

import (
	"context"
	"io"
	"io/fs"
)

// FileInfo describes one file of a bundle as its Source lists it.
type FileInfo struct {
	Name    string      // slash-separated path relative to the bundle root, as stored (unvalidated)
	Size    int64       // size in bytes
	Mode    fs.FileMode // type bits; anything but a regular file is rejected by verification
	Symlink bool        // true when the entry is a symbolic link
}

// Source is read access to a bundle's files, in a local folder or in object storage. publish
// implements it for S3; [DirSource] implements it for a folder.
type Source interface {
	// List returns every entry of the bundle, regular or not, so verification can flag extras.
	List(ctx context.Context) ([]FileInfo, error)
	// Open opens the named file for reading.
	Open(ctx context.Context, name string) (io.ReadCloser, error)
	// String names the source for messages (a path or an s3:// URL).
	String() string
}
