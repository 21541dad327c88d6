package publish

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// stallServer is a real TCP server on loopback that reads each HTTP request and then answers
// as a broken S3 server would: not at all, or one byte at a time with a gap between bytes.
type stallServer struct {
	l     net.Listener
	mode  string        // "silent", "trickle" (the status line byte by byte), "trickle-body" (headers at once, then the body byte by byte)
	gap   time.Duration // between trickled bytes
	conns atomic.Int64  // connections accepted (attempts made)
	done  chan struct{}
	wg    sync.WaitGroup
}

func startStallServer(t *testing.T, mode string, gap time.Duration) *stallServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &stallServer{l: l, mode: mode, gap: gap, done: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s.conns.Add(1)
			s.wg.Add(1)
			go func() { defer s.wg.Done(); s.serve(c) }()
		}
	}()
	t.Cleanup(func() { close(s.done); l.Close(); s.wg.Wait() })
	return s
}

func (s *stallServer) endpoint() string { return "http://" + s.l.Addr().String() }

func (s *stallServer) serve(c net.Conn) {
	defer c.Close()
	go func() { <-s.done; c.Close() }()
	br := bufio.NewReader(c)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		io.Copy(io.Discard, req.Body)
		// The bucket check (the first page of a listing) is answered at once, so that the stall
		// hits the object.
		if s.mode == "trickle-body" && strings.Count(strings.Trim(req.URL.Path, "/"), "/") == 0 {
			body := `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>releases</Name><Prefix></Prefix><KeyCount>0</KeyCount><MaxKeys>1</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>`
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
			continue
		}
		var out string
		switch s.mode {
		case "silent":
			<-s.done
			return
		case "trickle":
			out = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
		case "trickle-body":
			const n = 64
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nContent-Type: application/octet-stream\r\nETag: \"0123\"\r\nLast-Modified: Mon, 02 Jan 2006 15:04:05 GMT\r\n\r\n", n)
			if req.Method == http.MethodHead {
				continue
			}
			out = strings.Repeat("x", n)
		}
		for i := 0; i < len(out); i++ {
			select {
			case <-s.done:
				return
			case <-time.After(s.gap):
			}
			if _, err := c.Write([]byte{out[i]}); err != nil {
				return
			}
		}
	}
}

// A server that never answers, or trickles a byte more slowly than the idle deadline, fails
// each call within the idle deadline, retried at most maxStalledAttempts times, with an error
// that says so; one that trickles faster fails at the overall request deadline.
func TestStalledServerFailsWithinTheIdleDeadline(t *testing.T) {
	const idle = 400 * time.Millisecond
	for _, tc := range []struct {
		mode    string
		gap     time.Duration
		request time.Duration
		says    string
	}{
		{"silent", 0, time.Minute, "no data moved for 400ms"},
		{"trickle", 2 * time.Second, time.Minute, "no data moved for 400ms"},
		{"trickle", 150 * time.Millisecond, 1500 * time.Millisecond, "took longer than 1.5s"},
	} {
		t.Run(fmt.Sprintf("%s every %s", tc.mode, tc.gap), func(t *testing.T) {
			s := startStallServer(t, tc.mode, tc.gap)
			var lines []string
			var mu sync.Mutex
			cfg := S3Config{Endpoint: s.endpoint(), AccessKey: "k", SecretKey: "secret-never-shown", Bucket: "releases",
				Timeouts: Timeouts{Idle: idle, Request: tc.request},
				Notice:   func(m string) { mu.Lock(); lines = append(lines, m); mu.Unlock() }}
			t0 := time.Now()
			_, err := OpenS3(context.Background(), cfg)
			el := time.Since(t0)
			if !errors.Is(err, ErrStalled) || !strings.Contains(err.Error(), tc.says) || !strings.Contains(err.Error(), s.l.Addr().String()) {
				t.Fatalf("want a stall saying %q, got %v", tc.says, err)
			}
			per := max(idle, tc.request)
			if tc.request == time.Minute {
				per = idle
			}
			// 3 attempts of one deadline each, and the waits between them (0.25s, 0.5s).
			if limit := 3*per + 750*time.Millisecond + 2*time.Second; el > limit {
				t.Fatalf("took %s, want under %s", el, limit)
			}
			if n := s.conns.Load(); n != maxStalledAttempts {
				t.Fatalf("%d attempts, want %d", n, maxStalledAttempts)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(lines) != maxStalledAttempts-1 || !strings.Contains(lines[0], "retrying in") || strings.Contains(strings.Join(lines, "\n"), "secret-never-shown") {
				t.Fatalf("retry lines: %q", lines)
			}
		})
	}
}

// A download whose body trickles fails within the idle deadline too (the reader sees it).
func TestStalledDownloadFails(t *testing.T) {
	s := startStallServer(t, "trickle-body", 2*time.Second)
	st, err := OpenS3(context.Background(), S3Config{Endpoint: s.endpoint(), AccessKey: "k", SecretKey: "s", Bucket: "releases",
		Timeouts: Timeouts{Idle: 300 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	rc, err := st.Get(context.Background(), "chest/1.0.0/bagit.txt")
	if err == nil {
		_, err = io.ReadAll(rc)
		rc.Close()
	}
	if !errors.Is(err, ErrStalled) || !strings.Contains(err.Error(), "no data moved for 300ms") {
		t.Fatalf("want a stall, got %v", err)
	}
	if el := time.Since(t0); el > 3*time.Second {
		t.Fatalf("took %s", el)
	}
}

// A host that does not resolve and a refused first connection fail at once, naming the cause.
func TestUnreachableEndpointFailsAtOnce(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + l.Addr().String()
	l.Close()
	for _, tc := range []struct{ endpoint, says string }{
		{refused, "nothing listens at " + l.Addr().String()},
		{"http://no-such-host.invalid:9000", "the endpoint host no-such-host.invalid does not resolve"},
	} {
		t0 := time.Now()
		_, err := OpenS3(context.Background(), S3Config{Endpoint: tc.endpoint, AccessKey: "k", SecretKey: "s", Bucket: "releases"})
		if !errors.Is(err, ErrUnreachable) || !Permanent(err) || !strings.Contains(err.Error(), tc.says) {
			t.Fatalf("%s: want %q, got %v", tc.endpoint, tc.says, err)
		}
		if el := time.Since(t0); el > 2*time.Second {
			t.Fatalf("%s: took %s (retried as if transient?)", tc.endpoint, el)
		}
	}
}
