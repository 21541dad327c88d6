// Package s3test runs real S3 servers for tests: MinIO and VersityGW (S3 in front of a POSIX
// folder), each on a free 127.0.0.1 port with a temporary data folder and random root
// credentials, or reaches an S3 endpoint someone names (their own store, to check it before
// trusting it). It is test support only: nothing but _test.go files may import it.
//
// The server binaries come from RAYSYNTH_MINIO_BIN and RAYSYNTH_VERSITYGW_BIN, which `make test`
// sets up (it builds both once into ~/.cache/raysynth). When one is missing, Start fails the test
// with a message saying so; it never skips.
//
// RAYSYNTH_S3_TEST_ENDPOINT (with RAYSYNTH_S3_TEST_ACCESS_KEY_ID and
// RAYSYNTH_S3_TEST_SECRET_ACCESS_KEY) makes [Kinds] return [External] only: the suites that loop
// over Kinds then run against that endpoint instead of the local servers (docs/s3-compatibility.md).
package s3test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Environment variables the package reads.
const (
	EnvMinIOBin     = "RAYSYNTH_MINIO_BIN"                 // MinIO server binary
	EnvVersityBin   = "RAYSYNTH_VERSITYGW_BIN"             // VersityGW binary
	EnvEndpoint     = "RAYSYNTH_S3_TEST_ENDPOINT"          // an S3 endpoint to test instead of the local servers
	EnvAccessKey    = "RAYSYNTH_S3_TEST_ACCESS_KEY_ID"     // its access key (may create and delete buckets)
	EnvSecretKey    = "RAYSYNTH_S3_TEST_SECRET_ACCESS_KEY" // its secret key
	EnvRegion       = "RAYSYNTH_S3_TEST_REGION"            // its region (default us-east-1)
	EnvBucketPrefix = "RAYSYNTH_S3_TEST_BUCKET_PREFIX"     // start of the test buckets' names (default raysynth-test-)
)

// Kind names an S3 implementation.
type Kind string

// The implementations the tests know.
const (
	MinIO     Kind = "minio"
	VersityGW Kind = "versitygw"
	External  Kind = "external" // the endpoint named by RAYSYNTH_S3_TEST_ENDPOINT
)

// Kinds returns the S3 servers a suite runs against: MinIO and VersityGW, or only the external
// endpoint when RAYSYNTH_S3_TEST_ENDPOINT is set.
func Kinds() []Kind {
	if os.Getenv(EnvEndpoint) != "" {
		return []Kind{External}
	}
	return []Kind{MinIO, VersityGW}
}

// Server is one running S3 server (or the external endpoint).
type Server struct {
	Kind     Kind
	Bin      string // server binary (local servers)
	Dir      string // data folder (local servers)
	Addr     string // host:port
	Endpoint string // http://127.0.0.1:PORT (or the external URL)
	User     string // root access key
	Password string // root secret key
	Region   string

	cmd    *exec.Cmd
	done   chan struct{}
	log    string
	ownDir bool

	mu      sync.Mutex
	buckets []string // made by MakeBucket on an external endpoint, removed by Stop
}

// Bin returns the server binary of a local kind, or an error telling how to get it.
func Bin(kind Kind) (string, error) {
	env, target := EnvMinIOBin, "minio"
	if kind == VersityGW {
		env, target = EnvVersityBin, "versitygw"
	}
	b := os.Getenv(env)
	if b == "" {
		return "", fmt.Errorf("%s is not set: the S3 tests need a real %s server; run them with `make test`, or build it with `make %s` and export %s=$HOME/.cache/raysynth/%s-<version>/%s (see the Makefile)", env, kind, target, env, target, target)
	}
	if st, err := os.Stat(b); err != nil || st.IsDir() {
		return "", fmt.Errorf("%s=%s: no %s binary there; run `make %s` (or `make test`) to build it", env, b, kind, target)
	}
	return b, nil
}

// Start starts a server of the given kind for one test and stops it when the test ends. It
// fails the test when the server cannot run.
func Start(tb testing.TB, kind Kind) *Server {
	tb.Helper()
	s, err := StartDir(kind, tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Stop() })
	return s
}

// StartDir starts a server with its data in dir ("" makes a temporary folder that Stop removes).
// Use it from TestMain; call Stop when done. For [External] it checks that the endpoint answers.
func StartDir(kind Kind, dir string) (*Server, error) {
	if kind == External {
		return external()
	}
	bin, err := Bin(kind)
	if err != nil {
		return nil, err
	}
	s := &Server{Kind: kind, Bin: bin, Dir: dir, User: "root" + randHex(6), Password: randHex(20), Region: "us-east-1"}
	if dir == "" {
		d, err := os.MkdirTemp("", "raysynth-"+string(kind)+"-")
		if err != nil {
			return nil, err
		}
		s.Dir, s.ownDir = d, true
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s.Addr = fmt.Sprintf("127.0.0.1:%d", port)
	s.Endpoint = "http://" + s.Addr
	if err := s.start(); err != nil {
		s.cleanup()
		return nil, err
	}
	return s, nil
}

func external() (*Server, error) {
	ep := os.Getenv(EnvEndpoint)
	u, err := url.Parse(ep)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%s=%q: give http(s)://host[:port]", EnvEndpoint, ep)
	}
	s := &Server{Kind: External, Addr: u.Host, Endpoint: u.Scheme + "://" + u.Host,
		User: os.Getenv(EnvAccessKey), Password: os.Getenv(EnvSecretKey), Region: os.Getenv(EnvRegion)}
	if s.User == "" || s.Password == "" {
		return nil, fmt.Errorf("%s is set: also set %s and %s (credentials that may create and delete buckets)", EnvEndpoint, EnvAccessKey, EnvSecretKey)
	}
	if s.Region == "" {
		s.Region = "us-east-1"
	}
	return s, s.waitReady(30 * time.Second)
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) start() error {
	data := filepath.Join(s.Dir, "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		return err
	}
	s.log = filepath.Join(s.Dir, string(s.Kind)+".log")
	logf, err := os.OpenFile(s.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	var cmd *exec.Cmd
	switch s.Kind {
	case MinIO:
		cmd = exec.Command(s.Bin, "server", "--quiet", "--address", s.Addr, data)
		cmd.Env = append(os.Environ(),
			"MINIO_ROOT_USER="+s.User, "MINIO_ROOT_PASSWORD="+s.Password,
			"MINIO_BROWSER=off", "MINIO_UPDATE=off", "HOME="+s.Dir)
	case VersityGW:
		cmd = exec.Command(s.Bin, "--port", s.Addr, "--quiet", "posix", data)
		cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+s.User, "ROOT_SECRET_KEY="+s.Password, "HOME="+s.Dir)
	default:
		logf.Close()
		return fmt.Errorf("s3test: cannot start a %q server", s.Kind)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start %s %s: %w", s.Kind, s.Bin, err)
	}
	logf.Close()
	s.cmd = cmd
	s.done = make(chan struct{})
	go func() { cmd.Wait(); close(s.done) }()
	if err := s.waitReady(60 * time.Second); err != nil {
		s.Kill()
		return err
	}
	return nil
}

// waitReady waits until the server answers S3 requests (MinIO is live before it is initialised).
func (s *Server) waitReady(limit time.Duration) error {
	c, err := s.Client()
	if err != nil {
		return err
	}
	deadline := time.Now().Add(limit)
	var last error
	for time.Now().Before(deadline) {
		if s.done != nil {
			select {
			case <-s.done:
				return fmt.Errorf("%s exited at start: %s", s.Kind, s.tail())
			default:
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, last = c.ListBuckets(ctx)
		cancel()
		if last == nil {
			return nil
		}
		var er minio.ErrorResponse
		if s.Kind == External && errors.As(last, &er) && er.StatusCode == http.StatusForbidden {
			return nil // answers; listing every bucket may be denied to these credentials
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s on %s not ready within %s: %v %s", s.Kind, s.Addr, limit, last, s.tail())
}

func (s *Server) tail() string {
	if s.log == "" {
		return ""
	}
	b, _ := os.ReadFile(s.log)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return strings.TrimSpace(string(b))
}

// CanRestart reports whether Kill and Restart work (local servers only).
func (s *Server) CanRestart() bool { return s.Kind != External }

// Kill stops the server abruptly (SIGKILL), as a crash would.
func (s *Server) Kill() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	<-s.done
	s.cmd = nil
}

// Restart starts the server again on the same port and data folder after Kill.
func (s *Server) Restart() error {
	if !s.CanRestart() {
		return errors.New("s3test: an external endpoint cannot be restarted")
	}
	if s.cmd != nil {
		return errors.New("s3test: restart of a running server")
	}
	return s.start()
}

// Stop stops the server and removes a data folder it made itself; on an external endpoint it
// empties and removes the buckets MakeBucket made.
func (s *Server) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
			<-s.done
		}
		s.cmd = nil
	}
	if s.Kind == External {
		s.removeBuckets()
	}
	s.cleanup()
}

func (s *Server) removeBuckets() {
	c, err := s.Client()
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, b := range s.buckets {
		objs := c.ListObjects(ctx, b, minio.ListObjectsOptions{Recursive: true, WithVersions: true})
		for e := range c.RemoveObjects(ctx, b, objs, minio.RemoveObjectsOptions{}) {
			fmt.Fprintf(os.Stderr, "s3test: remove %s/%s: %v\n", b, e.ObjectName, e.Err)
		}
		if err := c.RemoveBucket(ctx, b); err != nil {
			fmt.Fprintf(os.Stderr, "s3test: remove test bucket %s: %v\n", b, err)
		}
	}
	s.buckets = nil
}

func (s *Server) cleanup() {
	if s.ownDir {
		os.RemoveAll(s.Dir)
	}
}

// Client returns a root client for setting up and tampering with buckets in tests.
func (s *Server) Client() (*minio.Client, error) {
	host, secure := s.Addr, strings.HasPrefix(s.Endpoint, "https://")
	return minio.New(host, &minio.Options{
		Creds:        credentials.NewStaticV4(s.User, s.Password, ""),
		Secure:       secure,
		Region:       s.Region,
		BucketLookup: minio.BucketLookupPath,
	})
}

// BucketName returns a fresh bucket name starting with base (names on an external endpoint get
// RAYSYNTH_S3_TEST_BUCKET_PREFIX and a random part, as bucket names there may be global).
func (s *Server) BucketName(base string) string {
	if s.Kind != External {
		return base
	}
	p := os.Getenv(EnvBucketPrefix)
	if p == "" {
		p = "raysynth-test-"
	}
	return p + base + "-" + randHex(4)
}

// MakeBucket creates a bucket, with Object Lock (and so versioning) when lock is true. On an
// external endpoint Stop removes it again.
func (s *Server) MakeBucket(ctx context.Context, name string, lock bool) error {
	c, err := s.Client()
	if err != nil {
		return err
	}
	if err := c.MakeBucket(ctx, name, minio.MakeBucketOptions{Region: s.Region, ObjectLocking: lock}); err != nil {
		return fmt.Errorf("%s: make bucket %s: %w", s.Kind, name, err)
	}
	if s.Kind == External {
		s.mu.Lock()
		s.buckets = append(s.buckets, name)
		s.mu.Unlock()
	}
	return nil
}

// Env returns the environment variables raysynth reads to reach this server as root.
func (s *Server) Env() []string {
	return []string{
		"AWS_ENDPOINT_URL_S3=" + s.Endpoint,
		"AWS_ACCESS_KEY_ID=" + s.User,
		"AWS_SECRET_ACCESS_KEY=" + s.Password,
		"AWS_REGION=" + s.Region,
	}
}
