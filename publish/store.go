package publish

import (
	"context"
	"errors"
	"fmt"
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
	// WriteMode says how this store's writes were checked and kept create-only so far.
	WriteMode() WriteMode
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

// WriteMode says how a store makes its writes safe. An S3 server that rejects or ignores
// trailing checksums, or ignores If-None-Match, gets the fallbacks every S3 server supports; each
// fallback taken is said once in Notes.
type WriteMode struct {
	// Integrity: "crc64nvme" (a full-object checksum the server verified), "content-md5" (each PUT
	// carries Content-MD5; the object's size and ETag are read back), "sha256" (a folder: the
	// written file is hashed). Empty until the first write.
	Integrity string `json:"integrity,omitempty"`
	// CreateOnly: "if-none-match" (the server refuses to replace an object), "head-before-put"
	// (the server ignores If-None-Match: a HEAD before each PUT, which a concurrent writer could
	// race), "link" (a folder: a hard link never replaces a file). Empty until known.
	CreateOnly string   `json:"create_only,omitempty"`
	Notes      []string `json:"notes,omitempty"`
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
	ErrUnreachable           = errors.New("endpoint unreachable")
	ErrStalled               = errors.New("storage call timed out")
	ErrListTooLong           = errors.New("listing over its bounds")
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
		errors.Is(err, ErrObjectLockUnsupported) || errors.Is(err, ErrConflict) || errors.Is(err, ErrUnsafeKey) ||
		errors.Is(err, ErrListTooLong)
}

// stalled reports whether err is a timeout of one call (no byte moved within the idle deadline,
// or the call outlived its overall deadline).
func stalled(err error) bool { return errors.Is(err, ErrStalled) }

// Retry says how transient errors (network failures, server errors, throttling) are retried.
type Retry struct {
	Attempts int           // total attempts per operation; 0 means 6 (3 for a stalled call)
	Base     time.Duration // first wait; 0 means 250ms; doubled each time
	Max      time.Duration // longest wait; 0 means 5s
	log      *slog.Logger  // retries are logged at Debug when set
	notice   func(string)  // each retry is said as one plain line when set
}

// maxStalledAttempts bounds the attempts of a call that timed out: a stalled server costs at most
// that many idle deadlines.
const maxStalledAttempts = 3

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
		limit := r.Attempts
		if stalled(err) {
			limit = min(limit, maxStalledAttempts)
		}
		if err == nil || Permanent(err) || errors.Is(err, context.Canceled) || attempt >= limit {
			return err
		}
		if ctx.Err() != nil {
			return errors.Join(ctx.Err(), err)
		}
		if r.log != nil {
			r.log.Debug("transient storage error; retrying", "attempt", attempt, "of", limit, "wait_seconds", wait.Seconds(), "error", err.Error())
		}
		if r.notice != nil {
			r.notice(fmt.Sprintf("%v; retrying in %s (attempt %d of %d)", err, wait.Round(10*time.Millisecond), attempt+1, limit))
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
