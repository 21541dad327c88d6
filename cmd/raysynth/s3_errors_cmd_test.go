package main

import (
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/raysynth/raysynth/manifest"
)

// Without credentials, publish says so before anything else; verify, fetch and audit say at
// once that they read anonymously and, when the bucket refuses that, that the credentials are
// missing (not "ask the administrator for a policy").
func TestS3CommandsWithoutCredentials(t *testing.T) {
	startReleases(t)
	pub, s := testKeyPair(t)
	b := testBundle(t, s, "1.0.0", "")
	t.Setenv(envAccessKey, "")
	t.Setenv(envSecretKey, "")

	t0 := time.Now()
	code, _, errOut := runCLI(t, "publish", b, "--to", "s3://releases/x", "--key", pub)
	if code != exitError || !strings.Contains(errOut, "no S3 credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are unset") || !strings.Contains(errOut, "hint: export AWS_ACCESS_KEY_ID") {
		t.Fatalf("publish without credentials exit %d: %s", code, errOut)
	}
	for _, args := range [][]string{
		{"verify", "s3://releases/x/chest", "--key", pub},
		{"fetch", "s3://releases/x/chest", "--key", pub, "--out", filepath.Join(t.TempDir(), "got")},
		{"audit", "s3://releases/x", "--key", pub},
	} {
		code, _, errOut := runCLI(t, args...)
		if code == 0 || !strings.Contains(errOut, "raysynth: no S3 credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are unset): reading") ||
			!strings.Contains(errOut, "no credentials were given") || !strings.Contains(errOut, "hint: export AWS_ACCESS_KEY_ID") || strings.Contains(errOut, "policy") {
			t.Fatalf("%s without credentials exit %d: %s", args[0], code, errOut)
		}
	}
	if el := time.Since(t0); el > 10*time.Second {
		t.Fatalf("four commands without credentials took %s: retried?", el)
	}
}

// A refused connection and a host that does not resolve fail at once, with the cause and what
// to set; a server that accepts the connection and never answers fails within the idle deadline,
// its retries shown as plain lines (no log records).
func TestS3CommandsUnreachableOrStalled(t *testing.T) {
	pub, _ := testKeyPair(t)
	t.Setenv(envAccessKey, "test-access")
	t.Setenv(envSecretKey, "test-secret-not-shown")
	t.Setenv(envSession, "")
	t.Setenv(envEndpoint, "")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + l.Addr().String()
	l.Close()

	for _, tc := range []struct{ endpoint, says string }{
		{refused, "nothing listens at " + strings.TrimPrefix(refused, "http://")},
		{"http://no-such-host.invalid:9000", "the endpoint host no-such-host.invalid does not resolve"},
	} {
		t.Setenv(envEndpointS3, tc.endpoint)
		t0 := time.Now()
		code, _, errOut := runCLI(t, "verify", "s3://releases/chest", "--key", pub)
		if code != exitError || !strings.Contains(errOut, tc.says) || !strings.Contains(errOut, "hint: give the S3 server's URL with --endpoint") || strings.Contains(errOut, "retrying") {
			t.Fatalf("%s: exit %d: %s", tc.endpoint, code, errOut)
		}
		if el := time.Since(t0); el > 3*time.Second {
			t.Fatalf("%s: took %s", tc.endpoint, el)
		}
	}

	// A server that accepts connections and never answers.
	sl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sl.Close()
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := sl.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	t.Setenv(envEndpointS3, "http://"+sl.Addr().String())
	t0 := time.Now()
	code, _, errOut := runCLI(t, "verify", "s3://releases/chest/1.0.0", "--key", pub, "--s3-idle-timeout", "300ms")
	el := time.Since(t0)
	if code != exitError || !strings.Contains(errOut, "no data moved for 300ms: the server stalled") || !strings.Contains(errOut, "hint: the server accepted the connection but stopped") {
		t.Fatalf("stalled server: exit %d: %s", code, errOut)
	}
	if n := strings.Count(errOut, "\nraysynth: "); !strings.HasPrefix(errOut, "raysynth: ") || n < 1 || !strings.Contains(errOut, "; retrying in ") ||
		strings.Contains(errOut, "level=") || strings.Contains(errOut, "test-secret-not-shown") {
		t.Fatalf("retries should be plain lines without secrets:\n%s", errOut)
	}
	if el > 5*time.Second {
		t.Fatalf("stalled server: took %s with a 300ms idle deadline", el)
	}
}

// A folder publish killed (SIGKILL) in the middle leaves no temporary file inside the release
// folder; the same command run again finishes it, and then the release folder by version and a
// copy of it verify, and the copy publishes again.
func TestFolderPublishKilledThenResumed(t *testing.T) {
	bin, err := exec.LookPath("raysynth") // the test binary as raysynth (testscript.Main puts it on PATH)
	if err != nil {
		t.Fatal(err)
	}
	pub, s := testKeyPair(t)
	b := testBundleN(t, s, "1.0.0", "", 600)
	root := filepath.Join(t.TempDir(), "releases")
	rel := filepath.Join(root, "chest", "1.0.0")

	cmd := exec.Command(bin, "publish", b, "--to", root, "--key", pub, "--parallel", "1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for countFiles(t, rel) < 40 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("publish wrote under 40 files in 2 minutes: %s", stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if _, err := os.Stat(filepath.Join(rel, manifest.FileTagManifestSig)); err == nil {
		t.Fatalf("the publish finished before it was killed: %s", stderr.String())
	}
	if tmps := tempFiles(t, filepath.Join(root, "chest")); len(tmps) > 0 {
		t.Fatalf("temporaries inside the release after a kill: %v", tmps)
	}

	if code, _, errOut := runCLI(t, "publish", b, "--to", root, "--key", pub); code != 0 {
		t.Fatalf("resume exit %d: %s", code, errOut)
	}
	if tmps := tempFiles(t, filepath.Join(root, "chest")); len(tmps) > 0 {
		t.Fatalf("temporaries inside the finished release: %v", tmps)
	}
	cp := filepath.Join(t.TempDir(), "copy")
	if out, err := exec.Command("cp", "-a", rel, cp).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	for _, ref := range []string{rel, filepath.Join(root, "chest"), cp} {
		if code, out, errOut := runCLI(t, "verify", ref, "--key", pub); code != 0 || !strings.HasPrefix(out, "OK: ") {
			t.Fatalf("verify %s exit %d: %s %s", ref, code, out, errOut)
		}
	}
	if code, _, errOut := runCLI(t, "publish", cp, "--to", filepath.Join(t.TempDir(), "elsewhere"), "--key", pub); code != 0 {
		t.Fatalf("publish of the copy exit %d: %s", code, errOut)
	}
}

func countFiles(t *testing.T, dir string) int {
	n := 0
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	return n
}

func tempFiles(t *testing.T, dir string) []string {
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), ".tmp-") {
			out = append(out, p)
		}
		return nil
	})
	return out
}
