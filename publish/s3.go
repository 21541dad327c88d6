package publish

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Config says how to reach a bucket. cmd fills it from the AWS_* environment variables and
// --endpoint; secrets never come from flags.
type S3Config struct {
	Endpoint     string // "https://host[:port]", "http://host:port" or "host[:port]" (https)
	AccessKey    string // may be empty for anonymous access
	SecretKey    string // secret: never logged or printed
	SessionToken string // secret: never logged or printed
	Region       string // default us-east-1
	Bucket       string
	Prefix       string
	Retry        Retry
	Log          *slog.Logger // transient errors being retried are logged at Warn (never secrets)
}

// String describes the configuration without its secrets.
func (c S3Config) String() string {
	return fmt.Sprintf("s3 endpoint %s bucket %s prefix %q access key %s", c.Endpoint, c.Bucket, c.Prefix, redact(c.AccessKey))
}

// GoString hides the secrets from %#v as well.
func (c S3Config) GoString() string { return c.String() }

func redact(s string) string {
	if s == "" {
		return "(none)"
	}
	return "(set)"
}

// Validate checks the configuration before any request is made.
func (c S3Config) Validate() error {
	if c.Endpoint == "" {
		return errors.New("no S3 endpoint: set AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, or pass --endpoint")
	}
	if _, _, err := endpointHost(c.Endpoint); err != nil {
		return err
	}
	if err := checkBucket(c.Bucket); err != nil {
		return err
	}
	if (c.AccessKey == "") != (c.SecretKey == "") {
		return errors.New("set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither for anonymous access")
	}
	return nil
}

// endpointHost turns an endpoint URL into minio-go's host[:port] and TLS flag.
func endpointHost(ep string) (host string, secure bool, err error) {
	if !strings.Contains(ep, "://") {
		ep = "https://" + ep
	}
	u, err := url.Parse(ep)
	if err != nil {
		return "", false, fmt.Errorf("%w: cannot parse it: %v", ErrBadEndpoint, err) // ep may hold a password: never print it
	}
	switch u.Scheme {
	case "http", "https":
	default:
		return "", false, fmt.Errorf("%w %q: scheme must be http or https", ErrBadEndpoint, u.Redacted())
	}
	if u.Host == "" || (u.Path != "" && u.Path != "/") || u.User != nil {
		return "", false, fmt.Errorf("%w %q: give scheme://host[:port] only", ErrBadEndpoint, u.Redacted())
	}
	return u.Host, u.Scheme == "https", nil
}

type s3Store struct {
	c        *minio.Client
	bucket   string
	prefix   string // "" or "a/b/" (with trailing slash)
	endpoint string
	retry    Retry
}

// OpenS3 connects to a bucket and checks that it exists and the credentials work.
func OpenS3(ctx context.Context, cfg S3Config) (Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	host, secure, _ := endpointHost(cfg.Endpoint)
	region := cfg.Region
	if region == "" {
		region = "us-east-1"
	}
	var creds *credentials.Credentials
	if cfg.AccessKey != "" {
		creds = credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, cfg.SessionToken)
	} else {
		creds = credentials.New(&credentials.Static{Value: credentials.Value{SignerType: credentials.SignatureAnonymous}})
	}
	c, err := minio.New(host, &minio.Options{
		Creds:           creds,
		Secure:          secure,
		Region:          region,
		TrailingHeaders: true,
		BucketLookup:    minio.BucketLookupPath,
		MaxRetries:      1, // retries are ours, with error classification (see Retry)
	})
	if err != nil {
		return nil, fmt.Errorf("S3 client for %s: %w", host, err)
	}
	s := &s3Store{c: c, bucket: cfg.Bucket, endpoint: cfg.Endpoint, retry: cfg.Retry}
	s.retry.log = cfg.Log
	if p := strings.Trim(cfg.Prefix, "/"); p != "" {
		s.prefix = p + "/"
	}
	var ok bool
	err = s.retry.do(ctx, func() error {
		var e error
		ok, e = c.BucketExists(ctx, s.bucket)
		return s.classify(e, "")
	})
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, s.classify(minio.ErrorResponse{Code: minio.NoSuchBucket, StatusCode: http.StatusNotFound}, "")
	}
	return s, nil
}

func (s *s3Store) String() string {
	if s.prefix == "" {
		return "s3://" + s.bucket
	}
	return "s3://" + s.bucket + "/" + strings.TrimSuffix(s.prefix, "/")
}

func (s *s3Store) where(key string) string {
	if key == "" {
		return s.String()
	}
	return "s3://" + s.bucket + "/" + s.prefix + key
}

// classify turns a minio-go error into a sentinel-wrapped one with a message saying what to
// check. It never includes credentials.
func (s *s3Store) classify(err error, key string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var er minio.ErrorResponse
	if !errors.As(err, &er) {
		return fmt.Errorf("%s: %w", s.where(key), err) // network: transient
	}
	where := s.where(key)
	switch er.Code {
	case minio.NoSuchBucket:
		return permanentError{fmt.Errorf("%s at %s: %w (check the bucket name in the s3:// URL and the endpoint)", s.bucket, s.endpoint, ErrNoSuchBucket)}
	case "AccessDenied", "AllAccessDisabled", "AccountProblem":
		return permanentError{fmt.Errorf("%s: %w (check the credentials, and that their policy allows listing, reading and writing this bucket and prefix)", where, ErrAccessDenied)}
	case "InvalidAccessKeyId":
		return permanentError{fmt.Errorf("%s: %w: the access key id is not known to %s (check AWS_ACCESS_KEY_ID and the endpoint)", where, ErrBadCredentials, s.endpoint)}
	case "SignatureDoesNotMatch":
		return permanentError{fmt.Errorf("%s: %w: the signature does not match (check AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN)", where, ErrBadCredentials)}
	case "ExpiredToken", "InvalidToken", "TokenRefreshRequired":
		return permanentError{fmt.Errorf("%s: %w: the session token is expired or invalid (refresh AWS_SESSION_TOKEN)", where, ErrBadCredentials)}
	case "NoSuchKey", "NoSuchVersion":
		return fmt.Errorf("%s: %w", where, ErrNotFound)
	case "PreconditionFailed":
		return fmt.Errorf("%s: %w", where, ErrExists)
	case "InvalidRequest", "ObjectLockConfigurationNotFoundError", "InvalidBucketState":
		if strings.Contains(strings.ToLower(er.Message), "lock") || strings.Contains(er.Code, "ObjectLock") {
			return permanentError{fmt.Errorf("%s: %w: %s (create the bucket with Object Lock enabled, or publish without --retention-days/--legal-hold)", where, ErrObjectLockUnsupported, er.Message)}
		}
	}
	if er.StatusCode == 0 && er.Code == "" {
		return fmt.Errorf("%s: %w", where, err)
	}
	if er.StatusCode >= 500 || er.StatusCode == http.StatusTooManyRequests || er.StatusCode == http.StatusRequestTimeout ||
		er.Code == "SlowDown" || er.Code == "RequestTimeout" || er.Code == "InternalError" || er.Code == "ServiceUnavailable" ||
		strings.HasPrefix(er.Code, "XMinioServerNotInitialized") {
		return fmt.Errorf("%s: %s: %s", where, er.Code, er.Message) // transient
	}
	if er.StatusCode == http.StatusNotFound && key != "" {
		return fmt.Errorf("%s: %w", where, ErrNotFound)
	}
	return permanentError{fmt.Errorf("%s: %s (HTTP %d): %s", where, er.Code, er.StatusCode, er.Message)}
}

func (s *s3Store) List(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	var out []ObjectInfo
	err := s.retry.do(ctx, func() error {
		out = out[:0]
		for o := range s.c.ListObjectsIter(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix + prefix, Recursive: true}) {
			if o.Err != nil {
				return s.classify(o.Err, prefix)
			}
			out = append(out, ObjectInfo{Key: strings.TrimPrefix(o.Key, s.prefix), Size: o.Size, Modified: o.LastModified})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", s.where(prefix), err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

const metaSHA256 = "Sha256"

func (s *s3Store) Stat(ctx context.Context, key string) (ObjectInfo, error) {
	var oi minio.ObjectInfo
	err := s.retry.do(ctx, func() error {
		var e error
		oi, e = s.c.StatObject(ctx, s.bucket, s.prefix+key, minio.StatObjectOptions{Checksum: true})
		return s.classify(e, key)
	})
	if err != nil {
		return ObjectInfo{}, err
	}
	info := ObjectInfo{Key: key, Size: oi.Size, Modified: oi.LastModified, CRC64NVME: oi.ChecksumCRC64NVME}
	for k, v := range oi.UserMetadata {
		if strings.EqualFold(k, metaSHA256) || strings.EqualFold(k, "X-Amz-Meta-"+metaSHA256) {
			info.SHA256 = strings.ToLower(v)
		}
	}
	return info, nil
}

func (s *s3Store) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	var obj *minio.Object
	err := s.retry.do(ctx, func() error {
		o, e := s.c.GetObject(ctx, s.bucket, s.prefix+key, minio.GetObjectOptions{})
		if e != nil {
			return s.classify(e, key)
		}
		// GetObject is lazy: Stat makes the request so a missing object fails here.
		if _, e := o.Stat(); e != nil {
			o.Close()
			return s.classify(e, key)
		}
		obj = o
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &s3Reader{obj: obj, s: s, key: key}, nil
}

type s3Reader struct {
	obj *minio.Object
	s   *s3Store
	key string
}

func (r *s3Reader) Read(p []byte) (int, error) {
	n, err := r.obj.Read(p)
	if err != nil && err != io.EOF {
		err = r.s.classify(err, r.key)
	}
	return n, err
}

func (r *s3Reader) Close() error { return r.obj.Close() }

// seekReader is what Put needs to retry: the content from the start again.
type seekReader interface {
	io.Reader
	io.Seeker
}

func (s *s3Store) Put(ctx context.Context, key string, r io.Reader, size int64, opts PutOptions) error {
	po := minio.PutObjectOptions{
		ContentType:      opts.ContentType,
		UserTags:         opts.Tags,
		Checksum:         minio.ChecksumCRC64NVME,
		DisableMultipart: size <= 64<<20,
		PartSize:         16 << 20,
	}
	if opts.SHA256 != "" {
		po.UserMetadata = map[string]string{metaSHA256: opts.SHA256}
	}
	if opts.CreateOnly {
		po.SetMatchETagExcept("*")
	}
	if !opts.RetainUntil.IsZero() {
		po.Mode = minio.Compliance
		po.RetainUntilDate = opts.RetainUntil.UTC()
	}
	if opts.LegalHold {
		po.LegalHold = minio.LegalHoldEnabled
	}
	sr, seekable := r.(seekReader)
	return s.retry.do(ctx, func() error {
		if seekable {
			if _, err := sr.Seek(0, io.SeekStart); err != nil {
				return permanentError{fmt.Errorf("rewind %s: %w", key, err)}
			}
		}
		info, err := s.c.PutObject(ctx, s.bucket, s.prefix+key, r, size, po)
		if err != nil {
			err = s.classify(err, key)
			if !seekable && !Permanent(err) {
				return permanentError{err} // cannot resend a stream
			}
			return err
		}
		if opts.CRC64NVME != "" && info.ChecksumCRC64NVME != "" && info.ChecksumCRC64NVME != opts.CRC64NVME {
			return fmt.Errorf("%s: server computed CRC64NVME %s, want %s", s.where(key), info.ChecksumCRC64NVME, opts.CRC64NVME)
		}
		return nil
	})
}

func (s *s3Store) CheckObjectLock(ctx context.Context) error {
	err := s.retry.do(ctx, func() error {
		enabled, _, _, _, e := s.c.GetObjectLockConfig(ctx, s.bucket)
		if e != nil {
			var er minio.ErrorResponse
			if errors.As(e, &er) && (er.Code == "ObjectLockConfigurationNotFoundError" || er.StatusCode == http.StatusNotFound && er.Code != minio.NoSuchBucket) {
				return permanentError{fmt.Errorf("bucket %s: %w: it was created without Object Lock (create a bucket with Object Lock enabled, or publish without --retention-days/--legal-hold)", s.bucket, ErrObjectLockUnsupported)}
			}
			return s.classify(e, "")
		}
		if enabled != "Enabled" {
			return permanentError{fmt.Errorf("bucket %s: %w: Object Lock is not enabled (create a bucket with Object Lock enabled, or publish without --retention-days/--legal-hold)", s.bucket, ErrObjectLockUnsupported)}
		}
		return nil
	})
	return err
}

func (s *s3Store) Protect(ctx context.Context, key string, until time.Time, hold bool) error {
	if !until.IsZero() {
		err := s.retry.do(ctx, func() error {
			_, cur, e := s.c.GetObjectRetention(ctx, s.bucket, s.prefix+key, "")
			if e != nil {
				var er minio.ErrorResponse
				if !errors.As(e, &er) || er.Code != "NoSuchObjectLockConfiguration" {
					return s.classify(e, key)
				}
			}
			if cur != nil && !cur.Before(until) {
				return nil
			}
			mode, u := minio.Compliance, until.UTC()
			return s.classify(s.c.PutObjectRetention(ctx, s.bucket, s.prefix+key, minio.PutObjectRetentionOptions{Mode: &mode, RetainUntilDate: &u}), key)
		})
		if err != nil {
			return fmt.Errorf("retention of %s: %w", s.where(key), err)
		}
	}
	if hold {
		on := minio.LegalHoldEnabled
		err := s.retry.do(ctx, func() error {
			return s.classify(s.c.PutObjectLegalHold(ctx, s.bucket, s.prefix+key, minio.PutObjectLegalHoldOptions{Status: &on}), key)
		})
		if err != nil {
			return fmt.Errorf("legal hold of %s: %w", s.where(key), err)
		}
	}
	return nil
}

func (s *s3Store) Presign(ctx context.Context, key string, expiry time.Duration) (string, error) {
	u, err := s.c.PresignedGetObject(ctx, s.bucket, s.prefix+key, expiry, nil)
	if err != nil {
		return "", fmt.Errorf("presign %s: %w", s.where(key), err)
	}
	return u.String(), nil
}
