package manifest

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// envCosignBins lists the cosign binaries TestCosignInterop runs, separated by colons. `make
// test` builds cosign v2 and v3 once into ~/.cache/raysynth and sets it (see the Makefile).
const envCosignBins = "RAYSYNTH_COSIGN_BINS"

// cosignBins returns the cosign binaries to test, or fails the test saying how to get them.
func cosignBins(t *testing.T) []string {
	t.Helper()
	v := os.Getenv(envCosignBins)
	if v == "" {
		t.Fatalf("%s is not set: this test runs real cosign v2 and v3; run it with `make test`, or build them with `make cosign` and export %s=$HOME/.cache/raysynth/cosign-v2.<x>/cosign:$HOME/.cache/raysynth/cosign-v3.<y>/cosign (see the Makefile)", envCosignBins, envCosignBins)
	}
	var bins []string
	for _, b := range strings.Split(v, ":") {
		if st, err := os.Stat(b); err != nil || st.IsDir() {
			t.Fatalf("%s names %s: no cosign binary there; run `make cosign` (or `make test`) to build it", envCosignBins, b)
		}
		bins = append(bins, b)
	}
	return bins
}

var semver = regexp.MustCompile(`^v(\d+)\.\d+\.\d+`)

// cosignVersion returns the version of a cosign binary (v2.6.5): the module version Go recorded
// in it (go install), else the GitVersion `cosign version` prints (release builds).
func cosignVersion(t *testing.T, bin string) (version string, major int) {
	t.Helper()
	if bi, err := buildinfo.ReadFile(bin); err == nil && semver.MatchString(bi.Main.Version) {
		version = bi.Main.Version
	} else {
		out, err := exec.Command(bin, "version").CombinedOutput()
		if err != nil {
			t.Fatalf("%s version: %v\n%s", bin, err, out)
		}
		for _, l := range strings.Split(string(out), "\n") {
			if f := strings.Fields(l); len(f) == 2 && f[0] == "GitVersion:" {
				version = f[1]
			}
		}
	}
	m := semver.FindStringSubmatch(version)
	if m == nil {
		t.Fatalf("%s: cannot tell its version (%q)", bin, version)
	}
	major, _ = strconv.Atoi(m[1])
	return version, major
}

// readmeCommands returns the standard-tool commands of a bundle's README.md (the code block
// after "with standard tools alone"), with the key placeholder replaced by the key file's path,
// quoted for the shell.
func readmeCommands(t *testing.T, bundle, key string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(bundle, FileReadme))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "with standard tools alone")
	if !ok {
		t.Fatal("README.md has no standard-tool commands")
	}
	_, rest, _ = strings.Cut(rest, "```\n")
	block, _, ok := strings.Cut(rest, "```")
	if !ok {
		t.Fatal("README.md: unterminated command block")
	}
	var cmds []string
	for _, l := range strings.Split(strings.TrimSpace(block), "\n") {
		cmds = append(cmds, strings.ReplaceAll(l, "PUBLIC_KEY.pub", "'"+strings.ReplaceAll(key, "'", `'\''`)+"'"))
	}
	return cmds
}

// offline reports whether `unshare -rn` can run a command with no network (a new network
// namespace holding only a down loopback), else why not.
var offline = sync.OnceValue(func() error {
	out, err := exec.Command("unshare", "-rn", "true").CombinedOutput()
	if err != nil {
		return fmt.Errorf("unshare -rn: %v %s", err, bytes.TrimSpace(out))
	}
	return nil
})

// commandError says which of the commands failed.
type commandError struct {
	index int
	cmd   string
	out   string
}

func (e *commandError) Error() string { return fmt.Sprintf("%s: failed:\n%s", e.cmd, e.out) }

// runCommands runs the command lines in one POSIX shell in dir, the way a researcher pastes them,
// with the given cosign first on PATH, a fresh HOME and TUF cache (no Sigstore trust material
// from earlier runs) and no network: in a network namespace of its own when the system allows
// one, else through a proxy nobody listens on. It returns a *commandError for the first line that
// fails.
func runCommands(t *testing.T, cosign, dir string, cmds []string) error {
	t.Helper()
	bin := t.TempDir()
	if err := os.Symlink(cosign, filepath.Join(bin, "cosign")); err != nil {
		t.Fatal(err)
	}
	var script strings.Builder
	for i, c := range cmds {
		fmt.Fprintf(&script, "%s || { echo 'command %d failed' >&2; exit 1; }\n", c, i)
	}
	args := []string{"sh", "-c", script.String()}
	if err := offline(); err == nil {
		args = append([]string{"unshare", "-rn"}, args...)
	} else {
		t.Logf("no network namespace (%v): offline through an unreachable proxy instead", err)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "HOME="+t.TempDir(), "TUF_ROOT="+t.TempDir(),
		"HTTPS_PROXY=http://127.0.0.1:9", "HTTP_PROXY=http://127.0.0.1:9", "NO_PROXY=")
	out, err := cmd.CombinedOutput()
	if err == nil {
		return nil
	}
	if m := regexp.MustCompile(`command (\d+) failed`).FindSubmatch(out); m != nil {
		i, _ := strconv.Atoi(string(m[1]))
		return &commandError{index: i, cmd: cmds[i], out: string(out)}
	}
	return fmt.Errorf("sh: %v\n%s", err, out)
}

// TestCosignInterop runs real cosign v2 and v3 (make test builds both), offline and with the key
// alone: the commands a fresh bundle's README.md gives (the ones `raysynth verify` prints) pass,
// and fail at the right cosign command on a tampered tag manifest and on a tampered provenance
// statement; cosign signs with our key and our tool signs with a cosign-made key.
func TestCosignInterop(t *testing.T) {
	majors := map[int]bool{}
	for _, cosign := range cosignBins(t) {
		version, major := cosignVersion(t, cosign)
		majors[major] = true
		t.Run(version, func(t *testing.T) { cosignInterop(t, cosign) })
	}
	if !majors[2] || !majors[3] {
		t.Errorf("%s covers cosign majors %v: researchers run v2 and v3, test both", envCosignBins, majors)
	}
}

func cosignInterop(t *testing.T, cosign string) {
	dir := t.TempDir()
	// cosign itself, for key generation and signing, offline too.
	run := func(wd string, args ...string) error {
		name := cosign
		if offline() == nil {
			name, args = "unshare", append([]string{"-rn", cosign}, args...)
		}
		cmd := exec.Command(name, args...)
		cmd.Dir = wd
		cmd.Env = append(os.Environ(), "COSIGN_PASSWORD=interop-pw", "HOME="+t.TempDir())
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Logf("cosign %v:\n%s", args, out)
		}
		return err
	}
	ctx := context.Background()
	pw := func() ([]byte, error) { return []byte("interop-pw"), nil }

	t.Run("the README's commands verify our bundle offline", func(t *testing.T) {
		keyPath, pubPath, err := WriteKeyPair(filepath.Join(dir, "ours"), []byte("interop-pw"))
		if err != nil {
			t.Fatal(err)
		}
		s, err := LoadSigner(ctx, keyPath, pw)
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), "b")
		if _, err := Build(ctx, newFixture(t, 2).config(s, out)); err != nil {
			t.Fatal(err)
		}
		cmds := readmeCommands(t, out, pubPath)
		if err := runCommands(t, cosign, out, cmds); err != nil {
			t.Fatalf("the README's commands fail on a fresh bundle: %v", err)
		}
		if res, err := Verify(ctx, DirSource(out), VerifyOptions{Keys: []*PublicKey{s.Public()}}); err != nil {
			t.Fatalf("the commands left something in the bundle: %v %v", err, res.Problems)
		}

		// Tampered: the tag manifest (cosign verify-blob fails), then the statement inside the
		// provenance signature bundle (cosign verify-blob-attestation fails).
		for _, tc := range []struct{ file, fails string }{
			{FileTagManifest, "cosign verify-blob "},
			{FileProvenanceSig, "cosign verify-blob-attestation "},
		} {
			bad := copyTree(t, out)
			p := filepath.Join(bad, tc.file)
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if tc.file == FileProvenanceSig {
				var m map[string]any
				if err := json.Unmarshal(data, &m); err != nil {
					t.Fatal(err)
				}
				env := m["dsseEnvelope"].(map[string]any)
				stmt, _ := base64.StdEncoding.DecodeString(env["payload"].(string))
				forged := bytes.Replace(stmt, []byte(`"predicateType"`), []byte(`"x":1,"predicateType"`), 1)
				if bytes.Equal(forged, stmt) {
					t.Fatal("no predicateType in the statement")
				}
				env["payload"] = base64.StdEncoding.EncodeToString(forged)
				data, _ = json.Marshal(m)
			} else {
				data = append(data, '\n')
			}
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			err = runCommands(t, cosign, bad, cmds)
			var ce *commandError
			if err == nil || !errors.As(err, &ce) || !strings.HasPrefix(ce.cmd, tc.fails) {
				t.Fatalf("tampered %s: want %q to fail, got %v", tc.file, tc.fails, err)
			}
		}

		// cosign signs a blob with our key, offline; our parser and key verify its bundle.
		blob := filepath.Join(dir, "blob.txt")
		os.WriteFile(blob, []byte("hello\n"), 0o644)
		sb := filepath.Join(dir, "blob.sigstore.json")
		// --use-signing-config=false: v3 otherwise fetches Sigstore's signing config first (v2's default).
		if err := run(dir, "sign-blob", "--key", keyPath, "--tlog-upload=false", "--use-signing-config=false", "--new-bundle-format", "--bundle", sb, "--yes", blob); err != nil {
			t.Fatal(err)
		}
		raw, _ := os.ReadFile(sb)
		b, err := parseSigBundle(raw)
		if err != nil {
			t.Fatal(err)
		}
		if b.Hint != s.Public().Hint() {
			t.Errorf("cosign's hint %q, ours %q", b.Hint, s.Public().Hint())
		}
		if err := s.Public().ver.VerifySignature(bytes.NewReader(b.Signature), bytes.NewReader([]byte("hello\n"))); err != nil {
			t.Errorf("cosign's signature does not verify with our key: %v", err)
		}
	})
	t.Run("our tool signs with a cosign key", func(t *testing.T) {
		kd := t.TempDir()
		if err := run(kd, "generate-key-pair", "--output-key-prefix", "cosign"); err != nil {
			t.Fatal(err)
		}
		s, err := LoadSigner(ctx, filepath.Join(kd, "cosign.key"), pw)
		if err != nil {
			t.Fatal(err)
		}
		pub, err := LoadPublicKey(ctx, filepath.Join(kd, "cosign.pub"))
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), "b")
		if _, err := Build(ctx, newFixture(t, 2).config(s, out)); err != nil {
			t.Fatal(err)
		}
		if res, err := Verify(ctx, DirSource(out), VerifyOptions{Keys: []*PublicKey{pub}}); err != nil {
			t.Fatalf("%v %v", err, res.Problems)
		}
		if err := runCommands(t, cosign, out, readmeCommands(t, out, filepath.Join(kd, "cosign.pub"))); err != nil {
			t.Fatalf("cosign rejects a bundle signed with its own key: %v", err)
		}
	})
}

// TestDocsGiveStandardToolCommands keeps docs/bundles.md's standard-tool block the commands
// TestCosignInterop runs (with the docs' key file, hospital.pub).
func TestDocsGiveStandardToolCommands(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "docs", "bundles.md"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	for _, c := range StandardToolCommands("hospital.pub") {
		if !slices.Contains(lines, c) {
			t.Errorf("docs/bundles.md lacks the line\n%s", c)
		}
	}
}
