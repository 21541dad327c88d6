// Package miniotest runs a real MinIO server for tests: on a free 127.0.0.1 port, with a temporary
// data folder and random root credentials. It is test support only: nothing but _test.go files may
// import it.
//
// The server binary comes from RAYSYNTH_MINIO_BIN, which `make test` and `make minio` set up.
// When it is missing, Start fails the test with a message saying so; it never skips.
package miniotest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// EnvBin names the environment variable holding the MinIO server binary.
const EnvBin = "RAYSYNTH_MINIO_BIN"

// Server is one running MinIO server.
type Server struct {
	Bin      string // server binary
	Dir      string // data folder
	Addr     string // 127.0.0.1:PORT
	Endpoint string // http://127.0.0.1:PORT
	User     string // root access key
	Password string // root secret key
	cmd      *exec.Cmd
	done     chan struct{}
	log      string
	ownDir   bool
}

// Bin returns the server binary, or an error telling how to get it.
func Bin() (string, error) {
	b := os.Getenv(EnvBin)
	if b == "" {
		return "", fmt.Errorf("%s is not set: the S3 tests need a real MinIO server; run them with `make test`, or build it with `make minio` and export %s=$HOME/.cache/raysynth/minio-<version>/minio (see the Makefile)", EnvBin, EnvBin)
	}
	if st, err := os.Stat(b); err != nil || st.IsDir() {
		return "", fmt.Errorf("%s=%s: no MinIO server binary there; run `make minio` (or `make test`) to build it", EnvBin, b)
	}
	return b, nil
}

// Start starts a server for one test and stops it when the test ends. It fails the test when the
// server cannot run.
func Start(tb testing.TB) *Server {
	tb.Helper()
	s, err := StartDir(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Stop() })
	return s
}

// StartDir starts a server with its data in dir ("" makes a temporary folder that Stop removes).
// Use it from TestMain; call Stop when done.
func StartDir(dir string) (*Server, error) {
	bin, err := Bin()
	if err != nil {
		return nil, err
	}
	s := &Server{Bin: bin, Dir: dir, User: "root" + randHex(6), Password: randHex(20)}
	if dir == "" {
		d, err := os.MkdirTemp("", "raysynth-minio-")
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
	s.log = filepath.Join(s.Dir, "minio.log")
	logf, err := os.OpenFile(s.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(s.Bin, "server", "--quiet", "--address", s.Addr, data)
	cmd.Env = append(os.Environ(),
		"MINIO_ROOT_USER="+s.User, "MINIO_ROOT_PASSWORD="+s.Password,
		"MINIO_BROWSER=off", "MINIO_UPDATE=off", "HOME="+s.Dir)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start MinIO %s: %w", s.Bin, err)
	}
	logf.Close()
	s.cmd = cmd
	s.done = make(chan struct{})
	go func() { cmd.Wait(); close(s.done) }()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return fmt.Errorf("MinIO exited at start: %s", s.tail())
		default:
		}
		resp, err := http.Get(s.Endpoint + "/minio/health/live")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s.waitReady()
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.Kill()
	return fmt.Errorf("MinIO did not become live on %s within 60s: %s", s.Addr, s.tail())
}

// waitReady waits until the server answers S3 requests (it is live before it is initialised).
func (s *Server) waitReady() error {
	c, err := s.Client()
	if err != nil {
		return err
	}
	var last error
	for i := 0; i < 300; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, last = c.ListBuckets(ctx)
		cancel()
		if last == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("MinIO on %s not ready: %v", s.Addr, last)
}

func (s *Server) tail() string {
	b, _ := os.ReadFile(s.log)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return strings.TrimSpace(string(b))
}

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
	if s.cmd != nil {
		return errors.New("miniotest: restart of a running server")
	}
	return s.start()
}

// Stop stops the server and removes a data folder it made itself.
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
	s.cleanup()
}

func (s *Server) cleanup() {
	if s.ownDir {
		os.RemoveAll(s.Dir)
	}
}

// Client returns a root client for setting up and tampering with buckets in tests.
func (s *Server) Client() (*minio.Client, error) {
	return minio.New(s.Addr, &minio.Options{
		Creds:           credentials.NewStaticV4(s.User, s.Password, ""),
		Region:          "us-east-1",
		TrailingHeaders: true,
		BucketLookup:    minio.BucketLookupPath,
	})
}

// MakeBucket creates a bucket, with Object Lock (and so versioning) when lock is true.
func (s *Server) MakeBucket(ctx context.Context, name string, lock bool) error {
	c, err := s.Client()
	if err != nil {
		return err
	}
	return c.MakeBucket(ctx, name, minio.MakeBucketOptions{Region: "us-east-1", ObjectLocking: lock})
}

// Env returns the environment variables raysynth reads to reach this server as root.
func (s *Server) Env() []string {
	return []string{
		"AWS_ENDPOINT_URL_S3=" + s.Endpoint,
		"AWS_ACCESS_KEY_ID=" + s.User,
		"AWS_SECRET_ACCESS_KEY=" + s.Password,
		"AWS_REGION=us-east-1",
	}
}
