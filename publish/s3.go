package publish

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
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
	Timeouts     Timeouts
	Log          *slog.Logger // details at Debug (never secrets)
	Notice       func(string) // one plain line per retry and per fallback taken (never secrets); nil for none
}

// Timeouts bound every S3 call, so that a server that stalls or trickles fails with a clear
// error instead of hanging; a call that times out is retried at most a few times.
type Timeouts struct {
	Connect time.Duration // TCP connect and TLS handshake; 0 means 10s
	Idle    time.Duration // longest time no byte moves either way during a call; 0 means 10s
	Request time.Duration // longest time for one call (one object up or down, one listing); 0 means 10m
}

// Default timeouts.
const (
	DefaultConnectTimeout = 10 * time.Second
	DefaultIdleTimeout    = 10 * time.Second
	DefaultRequestTimeout = 10 * time.Minute
)

func (t Timeouts) norm() Timeouts {
	if t.Connect <= 0 {
		t.Connect = DefaultConnectTimeout
	}
	if t.Idle <= 0 {
		t.Idle = DefaultIdleTimeout
	}
	if t.Request <= 0 {
		t.Request = DefaultRequestTimeout
	}
	return t
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
	if c.Timeouts.Connect < 0 || c.Timeouts.Idle < 0 || c.Timeouts.Request < 0 {
		return errors.New("S3 timeouts must not be negative")
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
	c        *minio.Client // trailing CRC-64/NVME checksums
	plain    *minio.Client // no trailing headers: Content-MD5 uploads, for servers that reject trailers
	bucket   string
	prefix   string // "" or "a/b/" (with trailing slash)
	endpoint string
	host     string
	anon     bool // no credentials given
	retry    Retry
	timeouts Timeouts
	log      *slog.Logger
	notice   func(string)

	reached   atomic.Bool  // the server answered once: a refused connection is now a restart
	integrity atomic.Int32 // modeUnknown, modeCRC or modeMD5
	create    atomic.Int32 // modeUnknown, createHonoured or createIgnored
	mu        sync.Mutex
	notes     []string
}

const (
	modeUnknown int32 = iota
	modeCRC
	modeMD5
	createHonoured
	createIgnored
)

// probeMax is the largest object whose create-only PUT is repeated once to learn whether the
// server honours If-None-Match (the repeat sends identical bytes, so it changes nothing).
const probeMax = 1 << 20

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
	s := &s3Store{bucket: cfg.Bucket, endpoint: cfg.Endpoint, host: host, anon: cfg.AccessKey == "", retry: cfg.Retry,
		timeouts: cfg.Timeouts.norm(), log: cfg.Log, notice: cfg.Notice}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.retry.log, s.retry.notice = s.log, cfg.Notice
	for _, trailing := range []bool{true, false} {
		tr, err := newTransport(secure, s.timeouts, &s.reached)
		if err != nil {
			return nil, err
		}
		c, err := minio.New(host, &minio.Options{
			Creds:           creds,
			Secure:          secure,
			Transport:       listGuard{tr},
			Region:          region,
			TrailingHeaders: trailing,
			BucketLookup:    minio.BucketLookupPath,
			MaxRetries:      1, // retries are ours, with error classification (see Retry)
		})
		if err != nil {
			return nil, fmt.Errorf("S3 client for %s: %w", host, err)
		}
		if trailing {
			s.c = c
		} else {
			s.plain = c
		}
	}
	if p := strings.Trim(cfg.Prefix, "/"); p != "" {
		s.prefix = p + "/"
	}
	// The first page of a listing (a GET, whose error has a body naming the cause; a HEAD's has
	// none, and servers differ in the status they give it) checks the bucket and credentials.
	err := s.retry.do(ctx, func() error {
		cctx, cancel := s.callCtx(ctx)
		defer cancel()
		// One page is enough: a second (the first said "truncated" but held no key) is refused.
		cctx = context.WithValue(cctx, listPagesKey{}, &listPages{max: 1})
		for o := range s.c.ListObjectsIter(cctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix, MaxKeys: 1}) {
			if errors.Is(o.Err, errSecondPage) {
				break
			}
			if o.Err != nil {
				return s.classify(cctx, o.Err, "")
			}
			break
		}
		s.reached.Store(true)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// callCtx bounds one S3 call by the overall request deadline.
func (s *s3Store) callCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(ctx, s.timeouts.Request, requestTimeout{s.timeouts.Request})
}

type requestTimeout struct{ d time.Duration }

func (e requestTimeout) Error() string {
	return fmt.Sprintf("the call took longer than %s (--s3-request-timeout)", e.d)
}

func (s *s3Store) say(msg string) {
	s.mu.Lock()
	s.notes = append(s.notes, msg)
	s.mu.Unlock()
	s.log.Info(msg)
	if s.notice != nil {
		s.notice(msg)
	}
}

func (s *s3Store) WriteMode() WriteMode {
	var m WriteMode
	switch s.integrity.Load() {
	case modeCRC:
		m.Integrity = "crc64nvme"
	case modeMD5:
		m.Integrity = "content-md5"
	}
	switch s.create.Load() {
	case createHonoured:
		m.CreateOnly = "if-none-match"
	case createIgnored:
		m.CreateOnly = "head-before-put"
	}
	s.mu.Lock()
	m.Notes = append([]string(nil), s.notes...)
	s.mu.Unlock()
	return m
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
// check. cctx is the call's context (see callCtx). It never includes credentials.
func (s *s3Store) classify(cctx context.Context, err error, key string) error {
	if err == nil {
		return nil
	}
	where := s.where(key)
	var rt requestTimeout
	if cause := context.Cause(cctx); errors.As(cause, &rt) {
		return fmt.Errorf("%s at %s: %w: %s", where, s.host, ErrStalled, rt.Error())
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) && cctx.Err() != nil {
		return err
	}
	var er minio.ErrorResponse
	if !errors.As(err, &er) {
		return s.classifyNet(err, where)
	}
	s.reached.Store(true)
	switch er.Code {
	case minio.NoSuchBucket:
		return permanentError{fmt.Errorf("%s at %s: %w (check the bucket name in the s3:// URL and the endpoint)", s.bucket, s.endpoint, ErrNoSuchBucket)}
	case "AccessDenied", "AllAccessDisabled", "AccountProblem":
		if s.anon {
			return permanentError{fmt.Errorf("%s: %w: no credentials were given (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are unset) and %s does not allow anonymous access", where, ErrAccessDenied, s.endpoint)}
		}
		return permanentError{fmt.Errorf("%s: %w (check the credentials, and that their policy allows listing, reading and writing this bucket and prefix)", where, ErrAccessDenied)}
	case "InvalidAccessKeyId", "XAdminUserNotFound": // the second: VersityGW
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

// classifyNet names the cause of a network error: a host that does not resolve and a refused
// first connection fail at once (retrying cannot fix a wrong endpoint); a stall, a reset or a
// refusal after the server answered before (a restart) are transient.
func (s *s3Store) classifyNet(err error, where string) error {
	var dns *net.DNSError
	if errors.As(err, &dns) && dns.IsNotFound {
		return permanentError{fmt.Errorf("%s: %w: the endpoint host %s does not resolve (check --endpoint and AWS_ENDPOINT_URL_S3)", where, ErrUnreachable, dns.Name)}
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		if !s.reached.Load() {
			return permanentError{fmt.Errorf("%s: %w: nothing listens at %s (connection refused: is the server running? check --endpoint and AWS_ENDPOINT_URL_S3)", where, ErrUnreachable, s.host)}
		}
		return fmt.Errorf("%s: connection to %s refused (the server went away)", where, s.host)
	}
	var st *stallError
	if errors.As(err, &st) {
		return fmt.Errorf("%s at %s: %w: %s", where, s.host, ErrStalled, st.Error())
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("%s at %s: %w: %v", where, s.host, ErrStalled, err)
	}
	return fmt.Errorf("%s: %w", where, err) // transient
}

// listBounds bound one listing, which a broken or hostile server could make endless (pages that
// say "truncated" forever) or huge (one page of gigabytes): keys returned, pages asked for, and
// bytes of one page. A release lists one key per file and audit the whole store; a server gives
// up to 1,000 keys a page, and a page of 1,000 keys of the longest (1,024-byte) names is under
// 1.5 MB. The key bound keeps verify and fetch under 200 MB RSS on a server that lists without
// end (measured: 1,000,000 keys took fetch to 406 MB and verify to 433 MB). A variable, so tests
// can lower it.
var listBounds = struct {
	keys, pages int64
	pageBytes   int64
}{keys: 250_000, pages: 20_000, pageBytes: 8 << 20}

// auditListKeys bounds audit's listing of a whole store, which holds every release's files: a
// store of 40 releases of 100,000 images is 4 million keys. One key held costs about 150 bytes
// (measured: 1,000,000 keys took verify to 433 MB), so audit stays under about 1.5 GB at the bound.
const auditListKeys = 10_000_000

// listKeysKey is the context key of a listing's key bound where it is not listBounds.keys.
type listKeysKey struct{}

// withListKeys raises (or lowers) the key bound of the listings made with the returned context.
func withListKeys(ctx context.Context, n int64) context.Context {
	return context.WithValue(ctx, listKeysKey{}, n)
}

// listPagesKey is the context key of a listing's page counter, which listGuard increments.
type listPagesKey struct{}

// listPages counts the pages of one listing, up to max.
type listPages struct {
	n   atomic.Int64
	max int64
}

// errSecondPage refuses the second page of the bucket check, which needs only the first.
var errSecondPage = fmt.Errorf("%w: a second page of the bucket check", ErrListTooLong)

// listGuard is the S3 clients' transport: it counts the pages of a listing (in the counter its
// context carries) and caps each page's body at listBounds.pageBytes.
type listGuard struct{ http.RoundTripper }

func (g listGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet || !req.URL.Query().Has("list-type") {
		return g.RoundTripper.RoundTrip(req)
	}
	if p, ok := req.Context().Value(listPagesKey{}).(*listPages); ok && p.n.Add(1) > p.max {
		if p.max == 1 {
			return nil, errSecondPage
		}
		return nil, fmt.Errorf("%w: more than %d pages (the server keeps saying the listing is truncated)", ErrListTooLong, p.max)
	}
	resp, err := g.RoundTripper.RoundTrip(req)
	if err == nil {
		resp.Body = &cappedBody{ReadCloser: resp.Body, left: listBounds.pageBytes + 1}
	}
	return resp, err
}

// cappedBody fails a read past its cap instead of letting a listing page grow without end.
type cappedBody struct {
	io.ReadCloser
	left int64
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, fmt.Errorf("%w: a page of more than %d MB", ErrListTooLong, listBounds.pageBytes>>20)
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	if b.left <= 0 && err == nil {
		err = fmt.Errorf("%w: a page of more than %d MB", ErrListTooLong, listBounds.pageBytes>>20)
	}
	return n, err
}

func (s *s3Store) List(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	var out []ObjectInfo
	maxKeys, maxPages := listBounds.keys, listBounds.pages
	if n, ok := ctx.Value(listKeysKey{}).(int64); ok {
		maxKeys, maxPages = n, max(maxPages, n/500)
	}
	err := s.retry.do(ctx, func() error {
		cctx, cancel := s.callCtx(ctx)
		defer cancel()
		cctx = context.WithValue(cctx, listPagesKey{}, &listPages{max: maxPages})
		out = out[:0]
		for o := range s.c.ListObjectsIter(cctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix + prefix, Recursive: true}) {
			if errors.Is(o.Err, ErrListTooLong) {
				return o.Err
			}
			if o.Err != nil {
				return s.classify(cctx, o.Err, prefix)
			}
			if int64(len(out)) >= maxKeys {
				return fmt.Errorf("%w: more than %d objects", ErrListTooLong, maxKeys)
			}
			out = append(out, ObjectInfo{Key: strings.TrimPrefix(o.Key, s.prefix), Size: o.Size, Modified: o.LastModified})
		}
		s.reached.Store(true)
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
	oi, err := s.stat(ctx, key)
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

func (s *s3Store) stat(ctx context.Context, key string) (minio.ObjectInfo, error) {
	var oi minio.ObjectInfo
	err := s.retry.do(ctx, func() error {
		cctx, cancel := s.callCtx(ctx)
		defer cancel()
		var e error
		oi, e = s.c.StatObject(cctx, s.bucket, s.prefix+key, minio.StatObjectOptions{Checksum: true})
		if e == nil {
			s.reached.Store(true)
		}
		return s.classify(cctx, e, key)
	})
	return oi, err
}

func (s *s3Store) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	var obj *minio.Object
	var cctx context.Context
	var cancel context.CancelFunc
	err := s.retry.do(ctx, func() error {
		cctx, cancel = s.callCtx(ctx)
		o, e := s.c.GetObject(cctx, s.bucket, s.prefix+key, minio.GetObjectOptions{})
		if e != nil {
			cancel()
			return s.classify(cctx, e, key)
		}
		// GetObject is lazy: Stat makes the request so a missing object fails here.
		if _, e := o.Stat(); e != nil {
			o.Close()
			err := s.classify(cctx, e, key)
			cancel()
			return err
		}
		s.reached.Store(true)
		obj = o
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &s3Reader{obj: obj, s: s, key: key, ctx: cctx, cancel: cancel}, nil
}

// s3Reader reads one object within its call's overall deadline.
type s3Reader struct {
	obj    *minio.Object
	s      *s3Store
	key    string
	ctx    context.Context
	cancel context.CancelFunc
}

func (r *s3Reader) Read(p []byte) (int, error) {
	n, err := r.obj.Read(p)
	if err != nil && err != io.EOF {
		err = r.s.classify(r.ctx, err, r.key)
	}
	return n, err
}

func (r *s3Reader) Close() error {
	err := r.obj.Close()
	r.cancel()
	return err
}

// seekReader is what Put needs to retry: the content from the start again.
type seekReader interface {
	io.Reader
	io.Seeker
}

func (s *s3Store) putOptions(opts PutOptions) minio.PutObjectOptions {
	po := minio.PutObjectOptions{
		ContentType: opts.ContentType,
		UserTags:    opts.Tags,
		PartSize:    16 << 20,
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
	return po
}

// Put writes one object. It sends a trailing CRC-64/NVME checksum that the server verifies; a
// server that rejects or ignores it gets Content-MD5 instead, from then on, and each object's
// size and ETag are read back. Create-only writes send If-None-Match: *; until the server has
// shown that it refuses to replace an object, a HEAD comes first.
func (s *s3Store) Put(ctx context.Context, key string, r io.Reader, size int64, opts PutOptions) error {
	sr, seekable := r.(seekReader)
	if opts.CreateOnly && s.create.Load() != createHonoured {
		if _, err := s.stat(ctx, key); err == nil {
			return fmt.Errorf("%s: %w", s.where(key), ErrExists)
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	rewind := func() error {
		if seekable {
			if _, err := sr.Seek(0, io.SeekStart); err != nil {
				return permanentError{fmt.Errorf("rewind %s: %w", key, err)}
			}
		}
		return nil
	}
	err := s.retry.do(ctx, func() error {
		if err := rewind(); err != nil {
			return err
		}
		err := s.putOnce(ctx, key, r, size, opts, rewind, seekable, false)
		if err != nil && !seekable && !Permanent(err) {
			return permanentError{err} // cannot resend a stream
		}
		return err
	})
	if err != nil || !opts.CreateOnly || !seekable || size > probeMax || s.create.Load() != modeUnknown {
		return err
	}
	return s.probeCreateOnly(ctx, key, r, size, opts, rewind)
}

// probeCreateOnly repeats the create-only PUT of an object just written, with the same bytes:
// a server that honours If-None-Match refuses it; one that accepts it ignores the condition.
func (s *s3Store) probeCreateOnly(ctx context.Context, key string, r io.Reader, size int64, opts PutOptions, rewind func() error) error {
	if err := rewind(); err != nil {
		return err
	}
	err := s.putOnce(ctx, key, r, size, opts, rewind, true, true)
	switch {
	case errors.Is(err, ErrExists):
		s.create.CompareAndSwap(modeUnknown, createHonoured)
	case err == nil:
		if s.create.CompareAndSwap(modeUnknown, createIgnored) {
			s.say(fmt.Sprintf("%s ignores If-None-Match (create-only writes): every object is looked up (HEAD) before it is written, which a concurrent writer to the same release could race", s.endpoint))
		}
	default:
		s.log.Debug("create-only probe inconclusive", "object_key", key, "error", err.Error())
	}
	return nil
}

// putOnce makes one attempt at writing an object, with the trailing checksum or, once the server
// has rejected or ignored it, with Content-MD5. A probe only learns whether the server took the
// PUT: the bytes are those of an object just written and checked.
func (s *s3Store) putOnce(ctx context.Context, key string, r io.Reader, size int64, opts PutOptions, rewind func() error, seekable, probe bool) error {
	cctx, cancel := s.callCtx(ctx)
	defer cancel()
	po := s.putOptions(opts)
	if s.integrity.Load() != modeMD5 {
		po.Checksum = minio.ChecksumCRC64NVME
		po.DisableMultipart = size <= 64<<20
		info, err := s.c.PutObject(cctx, s.bucket, s.prefix+key, r, size, po)
		switch {
		case probe:
			return s.classify(cctx, err, key)
		case err == nil && info.ChecksumCRC64NVME != "":
			s.reached.Store(true)
			if opts.CRC64NVME != "" && info.ChecksumCRC64NVME != opts.CRC64NVME {
				return fmt.Errorf("%s: server computed CRC64NVME %s, want %s", s.where(key), info.ChecksumCRC64NVME, opts.CRC64NVME)
			}
			s.integrity.CompareAndSwap(modeUnknown, modeCRC)
			return nil
		case err == nil:
			// Stored, but the server did not say it checked the checksum: read this object back
			// and hash it, and use Content-MD5 from now on.
			s.reached.Store(true)
			s.fallBack(fmt.Sprintf("%s accepted the upload of %s without confirming its CRC64NVME checksum", s.endpoint, s.where(key)))
			return s.checkStored(ctx, key, size, opts.SHA256)
		case s.integrity.Load() != modeCRC && s.rejectsChecksum(err):
			s.fallBack(fmt.Sprintf("%s refused the upload of %s with a trailing CRC64NVME checksum (%v)", s.endpoint, s.where(key), shortErr(err)))
			if !seekable {
				return permanentError{fmt.Errorf("%s: cannot resend a stream with Content-MD5", s.where(key))}
			}
			if err := rewind(); err != nil {
				return err
			}
		default:
			return s.classify(cctx, err, key)
		}
	}
	po = s.putOptions(opts) // afresh: minio-go adds checksum headers to the metadata map it was given
	po.SendContentMd5 = true
	po.DisableMultipart = size <= 64<<20
	info, err := s.plain.PutObject(cctx, s.bucket, s.prefix+key, r, size, po)
	if err != nil || probe {
		return s.classify(cctx, err, key)
	}
	s.reached.Store(true)
	// The server checked Content-MD5; read back the size and ETag it stored.
	oi, err := s.stat(ctx, key)
	if err != nil {
		return fmt.Errorf("read back %s: %w", s.where(key), err)
	}
	if oi.Size != size || (info.ETag != "" && oi.ETag != "" && strings.Trim(oi.ETag, `"`) != strings.Trim(info.ETag, `"`)) {
		return fmt.Errorf("%s: read back %d bytes with ETag %s after writing %d bytes with ETag %s", s.where(key), oi.Size, oi.ETag, size, info.ETag)
	}
	return nil
}

// fallBack switches this store to Content-MD5 uploads, saying so once.
func (s *s3Store) fallBack(why string) {
	if s.integrity.CompareAndSwap(modeUnknown, modeMD5) || s.integrity.CompareAndSwap(modeCRC, modeMD5) {
		s.say(why + "; uploads now carry Content-MD5, and each object's size and ETag are read back")
	}
}

// rejectsChecksum tells whether an error of a first upload says the server cannot take a
// trailing checksum: a client error (400, 501) that is not about credentials, the bucket or a
// condition. A real network error or server failure is not.
func (s *s3Store) rejectsChecksum(err error) bool {
	var er minio.ErrorResponse
	if !errors.As(err, &er) {
		return false
	}
	switch er.Code {
	case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken",
		minio.NoSuchBucket, "PreconditionFailed", "InvalidBucketName", "EntityTooLarge":
		return false
	}
	return er.StatusCode == http.StatusBadRequest || er.StatusCode == http.StatusNotImplemented
}

// checkStored reads an object back and compares its size and sha256.
func (s *s3Store) checkStored(ctx context.Context, key string, size int64, sha string) error {
	rc, err := s.Get(ctx, key)
	if err != nil {
		return err
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, rc)
	if err != nil {
		return fmt.Errorf("read back %s: %w", s.where(key), err)
	}
	if n != size || sha != "" && hex.EncodeToString(h.Sum(nil)) != sha {
		return permanentError{fmt.Errorf("%s: the stored object differs from what was sent (%d bytes read back, %d sent); delete it and publish again", s.where(key), n, size)}
	}
	return nil
}

func shortErr(err error) string {
	var er minio.ErrorResponse
	if errors.As(err, &er) {
		return fmt.Sprintf("%s (HTTP %d): %s", er.Code, er.StatusCode, er.Message)
	}
	return err.Error()
}

func (s *s3Store) CheckObjectLock(ctx context.Context) error {
	err := s.retry.do(ctx, func() error {
		cctx, cancel := s.callCtx(ctx)
		defer cancel()
		enabled, _, _, _, e := s.c.GetObjectLockConfig(cctx, s.bucket)
		if e != nil {
			var er minio.ErrorResponse
			if errors.As(e, &er) && (er.Code == "ObjectLockConfigurationNotFoundError" || er.StatusCode == http.StatusNotFound && er.Code != minio.NoSuchBucket) {
				return permanentError{fmt.Errorf("bucket %s: %w: it was created without Object Lock (create a bucket with Object Lock enabled, or publish without --retention-days/--legal-hold)", s.bucket, ErrObjectLockUnsupported)}
			}
			return s.classify(cctx, e, "")
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
			cctx, cancel := s.callCtx(ctx)
			defer cancel()
			_, cur, e := s.c.GetObjectRetention(cctx, s.bucket, s.prefix+key, "")
			if e != nil {
				var er minio.ErrorResponse
				if !errors.As(e, &er) || er.Code != "NoSuchObjectLockConfiguration" {
					return s.classify(cctx, e, key)
				}
			}
			if cur != nil && !cur.Before(until) {
				return nil
			}
			mode, u := minio.Compliance, until.UTC()
			return s.classify(cctx, s.c.PutObjectRetention(cctx, s.bucket, s.prefix+key, minio.PutObjectRetentionOptions{Mode: &mode, RetainUntilDate: &u}), key)
		})
		if err != nil {
			return fmt.Errorf("retention of %s: %w", s.where(key), err)
		}
	}
	if hold {
		on := minio.LegalHoldEnabled
		err := s.retry.do(ctx, func() error {
			cctx, cancel := s.callCtx(ctx)
			defer cancel()
			return s.classify(cctx, s.c.PutObjectLegalHold(cctx, s.bucket, s.prefix+key, minio.PutObjectLegalHoldOptions{Status: &on}), key)
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

// newTransport is minio-go's transport with our deadlines: connect (dial and TLS handshake),
// idle (no byte moved either way on the connection) and pooled connections closed before they
// could reach the idle deadline.
func newTransport(secure bool, t Timeouts, reached *atomic.Bool) (*http.Transport, error) {
	tr, err := minio.DefaultTransport(secure)
	if err != nil {
		return nil, err
	}
	d := &net.Dialer{Timeout: t.Connect, KeepAlive: 15 * time.Second}
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &idleConn{Conn: c, idle: t.Idle, last: time.Now().UnixNano()}, nil
	}
	tr.TLSHandshakeTimeout = t.Connect
	tr.ResponseHeaderTimeout = 0 // the idle deadline covers a server that does not answer
	tr.IdleConnTimeout = t.Idle / 2
	tr.MaxIdleConnsPerHost = 128
	tr.ExpectContinueTimeout = time.Second
	return tr, nil
}

// idleConn fails a read or write when no byte has moved either way for the idle deadline: a
// stalled or trickling server fails within it instead of hanging.
type idleConn struct {
	net.Conn
	idle time.Duration
	last int64 // unix nanoseconds of the last byte moved; atomic
}

// stallError is the error of a connection on which nothing moved for the idle deadline.
type stallError struct{ idle time.Duration }

func (e *stallError) Error() string {
	return fmt.Sprintf("no data moved for %s: the server stalled (--s3-idle-timeout)", e.idle)
}
func (e *stallError) Timeout() bool   { return true }
func (e *stallError) Temporary() bool { return true }

func (c *idleConn) touch() { atomic.StoreInt64(&c.last, time.Now().UnixNano()) }

func (c *idleConn) quiet() time.Duration {
	return time.Since(time.Unix(0, atomic.LoadInt64(&c.last)))
}

func (c *idleConn) Read(p []byte) (int, error) {
	for {
		c.Conn.SetReadDeadline(time.Now().Add(c.idle - min(c.quiet(), c.idle-time.Millisecond)))
		n, err := c.Conn.Read(p)
		if n > 0 {
			c.touch()
		}
		var ne net.Error
		if err != nil && n == 0 && errors.As(err, &ne) && ne.Timeout() {
			if c.quiet() < c.idle {
				continue // bytes went the other way (an upload): not idle
			}
			return 0, &stallError{c.idle}
		}
		return n, err
	}
}

func (c *idleConn) Write(p []byte) (int, error) {
	written := 0
	for written < len(p) {
		c.Conn.SetWriteDeadline(time.Now().Add(c.idle))
		n, err := c.Conn.Write(p[written:])
		written += n
		if n > 0 {
			c.touch()
		}
		var ne net.Error
		if err != nil && errors.As(err, &ne) && ne.Timeout() {
			if n > 0 {
				continue // slow but moving
			}
			return written, &stallError{c.idle}
		}
		if err != nil {
			return written, err
		}
	}
	return written, nil
}
