package publish

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/raysynth/raysynth/internal/bundletest"
	"github.com/raysynth/raysynth/manifest"
	"github.com/raysynth/raysynth/manifest/manifesttest"
	"github.com/raysynth/raysynth/publish/s3test"
)

// The S3 servers shared by the tests of this package, started at their first use (so that the
// tests that need none run without the server binaries) and stopped by TestMain: srv() is the
// first of them (MinIO, or the endpoint named by RAYSYNTH_S3_TEST_ENDPOINT), for features only
// some servers have (Object Lock); allServers() is every one, for the behaviour every
// S3-compatible store must show (see eachServer).
var (
	serversOnce sync.Once
	servers     []*s3test.Server
	serversErr  error
)

func allServers() []*s3test.Server {
	serversOnce.Do(func() {
		for _, k := range s3test.Kinds() {
			s, err := s3test.StartDir(k, "")
			if err != nil {
				serversErr = err
				return
			}
			servers = append(servers, s)
		}
	})
	if serversErr != nil {
		panic("publish tests: " + serversErr.Error())
	}
	return servers
}

func srv() *s3test.Server { return allServers()[0] }

func TestMain(m *testing.M) {
	if os.Getenv(envChild) != "" {
		os.Exit(childPublish())
	}
	code := m.Run()
	for _, s := range servers {
		s.Stop()
	}
	os.Exit(code)
}

// eachServer runs f as a subtest against every S3 server (MinIO and VersityGW, or the endpoint
// named by RAYSYNTH_S3_TEST_ENDPOINT).
func eachServer(t *testing.T, f func(t *testing.T, s *s3test.Server)) {
	for _, s := range allServers() {
		t.Run(string(s.Kind), func(t *testing.T) { f(t, s) })
	}
}

var bucketSeq atomic.Int64

// newBucket makes a fresh bucket on the first shared server.
func newBucket(t testing.TB, lock bool) string { return newBucketOn(t, srv(), lock) }

// newBucketOn makes a fresh bucket on s.
func newBucketOn(t testing.TB, s *s3test.Server, lock bool) string {
	t.Helper()
	name := s.BucketName(fmt.Sprintf("t%d-%d", time.Now().UnixNano()%1e9, bucketSeq.Add(1)))
	if err := s.MakeBucket(context.Background(), name, lock); err != nil {
		t.Fatal(err)
	}
	return name
}

func s3cfg(s *s3test.Server, bucket, prefix string) S3Config {
	return S3Config{Endpoint: s.Endpoint, AccessKey: s.User, SecretKey: s.Password, Region: s.Region, Bucket: bucket, Prefix: prefix,
		Retry: Retry{Attempts: 3, Base: 20 * time.Millisecond}}
}

func openS3(t testing.TB, s *s3test.Server, bucket, prefix string) Store {
	t.Helper()
	st, err := OpenS3(context.Background(), s3cfg(s, bucket, prefix))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func rawClient(t testing.TB, s *s3test.Server) *minio.Client {
	t.Helper()
	c, err := s.Client()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var (
	signerOnce sync.Once
	testSigner *manifest.Signer
)

// signer returns a P-256 signing key shared by the tests (unencrypted, so no scrypt cost).
func signer(t testing.TB) *manifest.Signer {
	t.Helper()
	signerOnce.Do(func() { testSigner = newSigner(t) })
	return testSigner
}

func newSigner(t testing.TB) *manifest.Signer {
	s, err := manifest.ParsePrivateKeyPEM("test.key", bundletest.KeyPEM(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func keys(t testing.TB) []*manifest.PublicKey { return []*manifest.PublicKey{signer(t).Public()} }

type bundleOpts struct {
	name, version string
	n, size       int
	seed          uint64
	override      string // privacy gate failed, released with this override reason
	dp            bool
	signer        *manifest.Signer
}

// makeBundle builds a real signed bundle with manifest.Build from n small gray PNGs.
func makeBundle(t testing.TB, o bundleOpts) string {
	t.Helper()
	if o.signer == nil {
		o.signer = signer(t)
	}
	return manifesttest.Build(t, manifesttest.Options{Name: o.name, Version: o.version, N: o.n, Size: o.size,
		Seed: o.seed, Override: o.override, DP: o.dp, Signer: o.signer})
}

// hookReporter calls fn once when the "files" task has counted `after` files.
type hookReporter struct {
	after int64
	fn    func()
	once  sync.Once
}

func (h *hookReporter) Start(name string, total int64, unit string) Task {
	if unit != "files" {
		return nopTask{}
	}
	return &hookTask{h: h}
}

type hookTask struct {
	h *hookReporter
	n atomic.Int64
}

func (t *hookTask) Add(n int64) {
	if t.n.Add(n) >= t.h.after {
		t.h.once.Do(t.h.fn)
	}
}
func (t *hookTask) Done() {}

// countObjects counts the objects under prefix.
func countObjects(t testing.TB, st Store, prefix string) int {
	t.Helper()
	objs, err := st.List(context.Background(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	return len(objs)
}

// envChild makes the test binary a publisher process that a test can kill (see childPublish).
const envChild = "RAYSYNTH_TEST_PUBLISH_CHILD"

// childPublish publishes the bundle named by the environment, one object at a time, and exits.
func childPublish() int {
	ctx := context.Background()
	e := func(k string) string { return os.Getenv(envChild + "_" + k) }
	key, err := manifest.LoadPublicKey(ctx, e("KEY"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	st, err := OpenS3(ctx, S3Config{Endpoint: e("ENDPOINT"), AccessKey: e("USER"), SecretKey: e("PASSWORD"), Region: e("REGION"), Bucket: e("BUCKET")})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if _, err := Publish(ctx, Config{Bundle: e("BUNDLE"), Store: st, Keys: []*manifest.PublicKey{key}, Parallel: 1}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}
