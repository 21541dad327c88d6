package publish

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"
)

// Store holds objects under one root: an S3 bucket and prefix ([OpenS3]) or a local folder
// ([OpenDir]). Keys are slash-separated and relative to the root. Both implementations give the
// same layout: NAME/VERSION/<bundle files> and NAME/LATEST.
type Store interface {
	// List returns every object whose key starts with prefix ("" for all), sorted by key. Listed
	// objects carry Key, Size and Modified only.
	List(ctx context.Context, prefix string) ([]ObjectInfo, error)
	// Stat describes one object, with its checksums when the store keeps them. It returns an
	// error wrapping [ErrNotFound] when the object is absent.
	Stat(ctx context.Context, key string) (ObjectInfo, error)
	// Get opens one object for reading.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// Put writes one object of the given size from r. With opts.CreateOnly it fails with an
	// error wrapping [ErrExists] when the key is already taken.
	Put(ctx context.Context, key string, r io.Reader, size int64, opts PutOptions) error
	// CheckObjectLock returns an error wrapping [ErrObjectLockUnsupported] when objects cannot
	// be given retention or a legal hold here.
	CheckObjectLock(ctx context.Context) error
	// Protect gives an existing object retention (COMPLIANCE) until the given time, unless it is
	// already retained at least that long, and a legal hold when hold is true.
	Protect(ctx context.Context, key string, until time.Time, hold bool) error
	// Presign returns a time-limited download link, or an error for a store that has none.
	Presign(ctx context.Context, key string, expiry time.Duration) (string, error)
	// String names the root for people (s3://BUCKET/PREFIX or a folder); never a secret.
	String() string
}

// ObjectInfo describes a stored object.
type ObjectInfo struct {
	Key       string    // relative to the store root
	Size      int64     // bytes
	Modified  time.Time // last modification
	SHA256    string    // hex, when known (recorded at upload on S3, computed for a folder)
	CRC64NVME string    // base64 full-object CRC-64/NVME checksum the server verified (S3 only)
}

// PutOptions are the per-object write options.
type PutOptions struct {
	CreateOnly  bool              // If-None-Match: *
	SHA256      string            // hex digest recorded with the object
	CRC64NVME   string            // base64 checksum; the server refuses the object if it differs
	ContentType string            // MIME type
	Tags        map[string]string // object tags, e.g. classification=synthetic
	RetainUntil time.Time         // Object Lock retention (COMPLIANCE) until this time; zero for none
	LegalHold   bool              // Object Lock legal hold
}

// Sentinel errors callers branch on.
var (
	ErrNotFound              = errors.New("object not found")
	ErrExists                = errors.New("object already exists")
	ErrAccessDenied          = errors.New("access denied")
	ErrNoSuchBucket          = errors.New("bucket does not exist")
	ErrBadCredentials        = errors.New("credentials rejected")
	ErrObjectLockUnsupported = errors.New("object lock not supported")
	ErrBadEndpoint           = errors.New("bad S3 endpoint")
	ErrConflict              = errors.New("release already exists with different content")
	ErrBundleRefused         = errors.New("bundle refused")
	ErrNoRelease             = errors.New("release not found")
	ErrUnsafeKey             = errors.New("unsafe object key")
)

// permanentError marks an error that retrying cannot fix.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent reports whether err is one that retrying cannot fix (bad credentials, denied access,
// a missing bucket, a conflict).
func Permanent(err error) bool {
	var p permanentError
	return errors.As(err, &p) || errors.Is(err, ErrNotFound) || errors.Is(err, ErrExists) ||
		errors.Is(err, ErrAccessDenied) || errors.Is(err, ErrNoSuchBucket) || errors.Is(err, ErrBadCredentials) ||
		errors.Is(err, ErrObjectLockUnsupported) || errors.Is(err, ErrConflict) || errors.Is(err, ErrUnsafeKey)
}

// Retry says how transient errors (network failures, server errors, throttling) are retried.
type Retry struct {
	Attempts int           // total attempts per operation; 0 means 6
	Base     time.Duration // first wait; 0 means 250ms; doubled each time
	Max      time.Duration // longest wait; 0 means 5s
	log      *slog.Logger  // retries are logged at Warn when set
}

func (r Retry) norm() Retry {
	if r.Attempts <= 0 {
		r.Attempts = 6
	}
	if r.Base <= 0 {
		r.Base = 250 * time.Millisecond
	}
	if r.Max <= 0 {
		r.Max = 5 * time.Second
	}
	return r
}

// do runs op until it succeeds, fails permanently, ctx ends, or the attempts run out.
func (r Retry) do(ctx context.Context, op func() error) error {
	r = r.norm()
	wait := r.Base
	var err error
	for attempt := 1; ; attempt++ {
		if cerr := ctx.Err(); cerr != nil {
			if err != nil {
				return errors.Join(cerr, err)
			}
			return cerr
		}
		err = op()
		if err == nil || Permanent(err) || errors.Is(err, context.Canceled) || attempt >= r.Attempts {
			return err
		}
		if ctx.Err() != nil {
			return errors.Join(ctx.Err(), err)
		}
		if r.log != nil {
			r.log.Warn("transient storage error; retrying", "attempt", attempt, "of", r.Attempts, "wait_seconds", wait.Seconds(), "error", err.Error())
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
		wait *= 2
		if wait > r.Max {
			wait = r.Max
		}
	}
}
