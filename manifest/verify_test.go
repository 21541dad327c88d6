package manifest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	dir, s := buildBundle(t, 6)
	res, err := Verify(context.Background(), DirSource(dir), VerifyOptions{Keys: []*PublicKey{s.Public()}})
	if err != nil {
		t.Fatalf("verify: %v\n%v", err, res.Problems)
	}
	if res.Name != "chest-test" || res.Version != "1.0.0" {
		t.Errorf("name/version %q %q", res.Name, res.Version)
	}
	if res.KeyHint != s.Public().Hint() || res.KeyHint == "" {
		t.Errorf("key hint %q, want %q", res.KeyHint, s.Public().Hint())
	}
	if res.ImagesPerClass["normal"] != 3 || res.ImagesPerClass["effusion"] != 3 || res.Images != 6 {
		t.Errorf("images per class %v", res.ImagesPerClass)
	}
	if !res.PrivacyPassed || len(res.Overrides) != 0 {
		t.Errorf("privacy %v overrides %v", res.PrivacyPassed, res.Overrides)
	}
	if res.DP == nil || res.DP.Epsilon != 7.5 || res.DP.PerClass["normal"] != 7.5 {
		t.Errorf("dp %+v", res.DP)
	}
	if res.Bagged != "2026-11-28" || len(res.TagManifestSHA256) != 64 {
		t.Errorf("bagged %q tagmanifest %q", res.Bagged, res.TagManifestSHA256)
	}
	// Standard-tool formats: two spaces in manifests, bag-info oxum, bagit.txt.
	m, _ := os.ReadFile(filepath.Join(dir, FileManifest))
	if !bytes.Contains(m, []byte("  data/index.csv\n")) {
		t.Errorf("manifest-sha256.txt lacks a two-space data/index.csv line:\n%s", m)
	}
	info, _ := os.ReadFile(filepath.Join(dir, FileBagInfo))
	if !bytes.Contains(info, []byte("Payload-Oxum: ")) || !bytes.Contains(info, []byte("Source-Organization: Test Hospital")) {
		t.Errorf("bag-info.txt:\n%s", info)
	}
	readme, _ := os.ReadFile(filepath.Join(dir, FileReadme))
	for _, want := range []string{"---\nlicense: cc-by-4.0\n", "## Motivation", "## Composition", "## Collection process", "## Preprocessing", "## Uses", "## Distribution", "## Maintenance", "| normal | 3 |"} {
		if !bytes.Contains(readme, []byte(want)) {
			t.Errorf("README.md lacks %q", want)
		}
	}
	var cr map[string]any
	data, _ := os.ReadFile(filepath.Join(dir, FileCroissant))
	if err := json.Unmarshal(data, &cr); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"rai:dataCollection", "rai:personalSensitiveInformation", "rai:dataLimitations", "rai:dataBiases", "rai:dataUseCases", "rai:dataReleaseMaintenancePlan", "rai:dataPreprocessingProtocol"} {
		if s, _ := cr[k].(string); s == "" {
			t.Errorf("croissant.json lacks %s", k)
		}
	}
	if !strings.Contains(cr["rai:personalSensitiveInformation"].(string), "synthetic, privacy-checked, see privacy-report.json") {
		t.Errorf("personalSensitiveInformation: %v", cr["rai:personalSensitiveInformation"])
	}
	// No temporary folder left beside the bundle.
	ents, _ := os.ReadDir(filepath.Dir(dir))
	if len(ents) != 1 {
		t.Errorf("beside the bundle: %v", ents)
	}
}

func TestDeterministic(t *testing.T) {
	s := testSigner(t)
	f := newFixture(t, 4)
	var dirs []string
	for i := range 2 {
		out := filepath.Join(t.TempDir(), "b")
		cfg := f.config(s, out)
		if i == 1 {
			slices.Reverse(cfg.Images) // input order must not matter
			slices.Reverse(cfg.Generators)
		}
		if _, err := Build(context.Background(), cfg); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, out)
	}
	err := filepath.WalkDir(dirs[0], func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".sigstore.json") {
			return err
		}
		rel, _ := filepath.Rel(dirs[0], p)
		a, _ := os.ReadFile(p)
		b, err := os.ReadFile(filepath.Join(dirs[1], rel))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs between two builds of the same input", rel)
		}
		if strings.HasSuffix(p, ".json") && !bytes.HasSuffix(a, []byte("}\n")) {
			t.Errorf("%s does not end with LF", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// flipIn changes one byte of a file at the first occurrence of marker (or the middle).
func flipIn(t *testing.T, path, marker string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := len(data) / 2
	if marker != "" {
		i = bytes.Index(data, []byte(marker))
		if i < 0 {
			t.Fatalf("%s: no %q", path, marker)
		}
		i += len(marker) + 10
	}
	c := data[i]
	switch {
	case c >= 'a' && c < 'z', c >= 'A' && c < 'Z', c >= '0' && c < '9':
		data[i] = c + 1
	case c == 'z' || c == 'Z' || c == '9':
		data[i] = c - 1
	case c == '+': // stay inside the base64 alphabet
		data[i] = '/'
	case c == '/':
		data[i] = '+'
	default:
		data[i] ^= 0x01
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestTamper(t *testing.T) {
	orig, s := buildBundle(t, 6)
	other := testSigner(t)
	img := "data/images/normal/s-00000.png"
	cases := []struct {
		name       string
		mutate     func(t *testing.T, dir string)
		keys       []*PublicKey
		file, kind string
	}{
		{"image byte", func(t *testing.T, d string) { flipIn(t, filepath.Join(d, img), "") }, nil, img, KindHashMismatch},
		{"index.csv byte", func(t *testing.T, d string) { flipIn(t, filepath.Join(d, FileIndex), "s-00003,") }, nil, FileIndex, KindHashMismatch},
		{"croissant byte", func(t *testing.T, d string) { flipIn(t, filepath.Join(d, FileCroissant), `"description": "`) }, nil, FileCroissant, KindHashMismatch},
		{"manifest byte", func(t *testing.T, d string) { flipIn(t, filepath.Join(d, FileManifest), "") }, nil, FileManifest, KindHashMismatch},
		{"tagmanifest byte", func(t *testing.T, d string) { flipIn(t, filepath.Join(d, FileTagManifest), "") }, nil, FileTagManifestSig, KindSignature},
		{"message signature byte", func(t *testing.T, d string) { flipIn(t, filepath.Join(d, FileTagManifestSig), `"signature": "`) }, nil, FileTagManifestSig, KindSignature},
		{"DSSE signature byte", func(t *testing.T, d string) { flipIn(t, filepath.Join(d, FileProvenanceSig), `"sig": "`) }, nil, FileProvenanceSig, KindSignature},
		{"provenance byte", func(t *testing.T, d string) { flipIn(t, filepath.Join(d, FileProvenance), `"reason`+"") }, nil, FileProvenance, KindSignature},
		{"removed image", func(t *testing.T, d string) { os.Remove(filepath.Join(d, img)) }, nil, img, KindMissing},
		{"removed signature", func(t *testing.T, d string) { os.Remove(filepath.Join(d, FileTagManifestSig)) }, nil, FileTagManifestSig, KindMissing},
		{"added file", func(t *testing.T, d string) {
			os.WriteFile(filepath.Join(d, "data/images/normal/extra.png"), []byte("x"), 0o644)
		}, nil, "data/images/normal/extra.png", KindUnexpected},
		{"added tag file", func(t *testing.T, d string) { os.WriteFile(filepath.Join(d, "notes.txt"), []byte("x"), 0o644) }, nil, "notes.txt", KindUnexpected},
		{"another key", func(t *testing.T, d string) {}, []*PublicKey{other.Public()}, FileTagManifestSig, KindWrongKey},
		{"bag-info oxum", func(t *testing.T, d string) {
			p := filepath.Join(d, FileBagInfo)
			b, _ := os.ReadFile(p)
			i := bytes.Index(b, []byte("Payload-Oxum: ")) + len("Payload-Oxum: ")
			b[i] = '1' + (b[i]-'0')%8 // another digit, same length
			os.WriteFile(p, b, 0o644)
		}, nil, FileBagInfo, KindHashMismatch},
		{"grown tag file", func(t *testing.T, d string) {
			f, _ := os.OpenFile(filepath.Join(d, FileReadme), os.O_APPEND|os.O_WRONLY, 0)
			f.WriteString("more\n")
			f.Close()
		}, nil, FileReadme, KindTooLarge},
	}
	seen := map[string]string{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "provenance byte" {
				// provenance.json has no "reason" when the gate passed; flip inside the tool version.
				c.mutate = func(t *testing.T, d string) { flipIn(t, filepath.Join(d, FileProvenance), `"buildType": "`) }
			}
			dir := copyTree(t, orig)
			c.mutate(t, dir)
			keys := c.keys
			if keys == nil {
				keys = []*PublicKey{s.Public()}
			}
			res, err := Verify(context.Background(), DirSource(dir), VerifyOptions{Keys: keys})
			if !errors.Is(err, ErrVerification) {
				t.Fatalf("err = %v, want ErrVerification", err)
			}
			if !hasProblem(res, c.file, c.kind) {
				t.Fatalf("want a %s problem on %s, got:\n%v", c.kind, c.file, res.Problems)
			}
			for _, p := range res.Problems {
				if p.File == c.file && p.Kind == c.kind {
					if prev, dup := seen[p.String()]; dup {
						t.Errorf("same message as case %q: %s", prev, p)
					}
					seen[p.String()] = c.name
					t.Logf("%s", p)
				}
			}
		})
	}
	t.Run("another key on the attestation", func(t *testing.T) {
		res, _ := Verify(context.Background(), DirSource(orig), VerifyOptions{Keys: []*PublicKey{other.Public()}})
		if !hasProblem(res, FileProvenanceSig, KindWrongKey) {
			t.Fatalf("%v", res.Problems)
		}
	})
	t.Run("either of two keys", func(t *testing.T) {
		res, err := Verify(context.Background(), DirSource(orig), VerifyOptions{Keys: []*PublicKey{other.Public(), s.Public()}})
		if err != nil || res.KeyHint != s.Public().Hint() {
			t.Fatalf("err %v hint %q", err, res.KeyHint)
		}
	})
}

// memSource is a Source over in-memory entries, for names a file system cannot hold.
type memSource struct {
	files map[string][]byte
	extra []FileInfo
	read  atomic.Int64
	open  func(name string) io.Reader
}

func (m *memSource) String() string { return "mem" }
func (m *memSource) List(context.Context) ([]FileInfo, error) {
	var out []FileInfo
	for n, d := range m.files {
		out = append(out, FileInfo{Name: n, Size: int64(len(d))})
	}
	return append(out, m.extra...), nil
}
func (m *memSource) Open(_ context.Context, name string) (io.ReadCloser, error) {
	if m.open != nil {
		if r := m.open(name); r != nil {
			return io.NopCloser(&countReader{r, &m.read}), nil
		}
	}
	d, ok := m.files[name]
	if !ok {
		return nil, fs.ErrNotExist
	}
	return io.NopCloser(&countReader{bytes.NewReader(d), &m.read}), nil
}

type countReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func loadMem(t *testing.T, dir string) *memSource {
	m := &memSource{files: map[string][]byte{}}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			m.files[filepath.ToSlash(rel)], _ = os.ReadFile(p)
		}
		return nil
	})
	return m
}

// endless is a reader that never ends.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'A'
	}
	return len(p), nil
}

func TestHostile(t *testing.T) {
	orig, s := buildBundle(t, 4)
	keys := []*PublicKey{s.Public()}
	img := "data/images/normal/s-00000.png"

	t.Run("names", func(t *testing.T) {
		for _, name := range []string{"../escape.txt", "data/../../etc/passwd", "/etc/passwd", "data/images/\xff\xfe.png", `data\..\x`, "data//x", "./bagit.txt", "data/a\nb"} {
			m := loadMem(t, orig)
			m.extra = []FileInfo{{Name: name, Size: 10}}
			opened := false
			m.open = func(n string) io.Reader {
				if n == name {
					opened = true
				}
				return nil
			}
			res, err := Verify(context.Background(), m, VerifyOptions{Keys: keys})
			if !errors.Is(err, ErrVerification) {
				t.Fatalf("%q: err %v", name, err)
			}
			if !hasProblem(res, printable(name), KindUnsafePath) {
				t.Errorf("%q: want unsafe-path, got %v", name, res.Problems)
			}
			if opened {
				t.Errorf("%q was opened", name)
			}
		}
	})
	t.Run("symlink", func(t *testing.T) {
		dir := copyTree(t, orig)
		secret := filepath.Join(t.TempDir(), "secret")
		os.WriteFile(secret, []byte("outside"), 0o644)
		os.Remove(filepath.Join(dir, img))
		if err := os.Symlink(secret, filepath.Join(dir, img)); err != nil {
			t.Fatal(err)
		}
		res, _ := Verify(context.Background(), DirSource(dir), VerifyOptions{Keys: keys})
		if !hasProblem(res, img, KindUnsafePath) {
			t.Fatalf("%v", res.Problems)
		}
		if _, err := DirSource(dir).Open(context.Background(), img); err == nil {
			t.Error("DirSource opened a symlink")
		}
	})
	t.Run("non-UTF-8 file and folder names on disk", func(t *testing.T) {
		dir := copyTree(t, orig)
		if err := os.WriteFile(filepath.Join(dir, "data", "\xff\xfe.png"), []byte("x"), 0o644); err != nil {
			t.Skipf("file system refuses non-UTF-8 names: %v", err)
		}
		os.MkdirAll(filepath.Join(dir, "data", "\xfe"), 0o755)
		os.WriteFile(filepath.Join(dir, "data", "\xfe", "inner.png"), []byte("x"), 0o644)
		res, _ := Verify(context.Background(), DirSource(dir), VerifyOptions{Keys: keys})
		if !hasProblem(res, printable("data/\xff\xfe.png"), KindUnsafePath) || !hasProblem(res, printable("data/\xfe"), KindUnsafePath) {
			t.Fatalf("%v", res.Problems)
		}
	})
	t.Run("symlinked folder", func(t *testing.T) {
		dir := copyTree(t, orig)
		os.Symlink(t.TempDir(), filepath.Join(dir, "data", "outside"))
		res, _ := Verify(context.Background(), DirSource(dir), VerifyOptions{Keys: keys})
		if !hasProblem(res, "data/outside", KindUnsafePath) {
			t.Fatalf("%v", res.Problems)
		}
	})
	t.Run("device file", func(t *testing.T) {
		dir := copyTree(t, orig)
		os.Remove(filepath.Join(dir, img))
		if err := syscall.Mkfifo(filepath.Join(dir, img), 0o644); err != nil {
			t.Skipf("mkfifo: %v", err) // a FIFO would block a reader that opened it
		}
		res, _ := Verify(context.Background(), DirSource(dir), VerifyOptions{Keys: keys})
		if !hasProblem(res, img, KindUnsafePath) {
			t.Fatalf("%v", res.Problems)
		}
	})
	t.Run("far larger file", func(t *testing.T) {
		dir := copyTree(t, orig)
		if err := os.Truncate(filepath.Join(dir, img), 1<<40); err != nil { // sparse: 1 TiB listed
			t.Fatal(err)
		}
		res, _ := Verify(context.Background(), DirSource(dir), VerifyOptions{Keys: keys})
		if !hasProblem(res, img, KindTooLarge) {
			t.Fatalf("%v", res.Problems)
		}
	})
	t.Run("source lies about the size", func(t *testing.T) {
		m := loadMem(t, orig)
		m.open = func(n string) io.Reader {
			if n == img {
				return endless{}
			}
			return nil
		}
		res, _ := Verify(context.Background(), m, VerifyOptions{Keys: keys})
		if !hasProblem(res, img, KindTooLarge) {
			t.Fatalf("%v", res.Problems)
		}
		var total int64
		for _, d := range m.files {
			total += int64(len(d))
		}
		// Everything read is the real files plus at most one byte past the image's stated size
		// (and a copy buffer's worth that the limit reader never hands out).
		if got := m.read.Load(); got > total+int64(len(m.files[img]))+1 {
			t.Errorf("read %d bytes, bundle has %d", got, total)
		}
	})
	t.Run("lying tag file", func(t *testing.T) {
		m := loadMem(t, orig)
		m.open = func(n string) io.Reader {
			if n == FileCroissant {
				return endless{}
			}
			return nil
		}
		res, _ := Verify(context.Background(), m, VerifyOptions{Keys: keys, MaxFileSize: 1 << 20})
		if !hasProblem(res, FileCroissant, KindTooLarge) {
			t.Fatalf("%v", res.Problems)
		}
		if got := m.read.Load(); got > 4<<20 {
			t.Errorf("read %d bytes", got)
		}
	})
	t.Run("manifest path escapes", func(t *testing.T) {
		for _, bad := range []string{"../x", "/etc/passwd", "data/../../x"} {
			if _, err := ParseManifest([]byte(strings.Repeat("0", 64) + "  " + bad + "\n")); err == nil {
				t.Errorf("ParseManifest accepted %q", bad)
			}
		}
	})
}

func TestVerifyNoKey(t *testing.T) {
	if _, err := Verify(context.Background(), DirSource(t.TempDir()), VerifyOptions{}); err == nil || errors.Is(err, ErrVerification) {
		t.Fatalf("err %v", err)
	}
	if _, err := Verify(context.Background(), DirSource(filepath.Join(t.TempDir(), "nope")), VerifyOptions{Keys: []*PublicKey{testSigner(t).Public()}}); err == nil || errors.Is(err, ErrVerification) {
		t.Fatalf("err %v", err)
	}
}

func TestEmptyFolderListsEveryMissingFile(t *testing.T) {
	res, err := Verify(context.Background(), DirSource(t.TempDir()), VerifyOptions{Keys: []*PublicKey{testSigner(t).Public()}})
	if !errors.Is(err, ErrVerification) {
		t.Fatal(err)
	}
	for _, f := range []string{FileTagManifest, FileTagManifestSig, FileProvenance, FileProvenanceSig, FileBagIt, FileCroissant} {
		if !hasProblem(res, f, KindMissing) {
			t.Errorf("no missing problem for %s: %v", f, res.Problems)
		}
	}
}

func TestPublishOrder(t *testing.T) {
	dir, _ := buildBundle(t, 2)
	files, err := DirSource(dir).List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ph := PublishOrder(files)
	if len(ph) != 4 {
		t.Fatalf("%d phases", len(ph))
	}
	names := func(fs []FileInfo) (out []string) {
		for _, f := range fs {
			out = append(out, f.Name)
		}
		return
	}
	for _, f := range ph[0] {
		if !strings.HasPrefix(f.Name, "data/") {
			t.Errorf("payload phase has %s", f.Name)
		}
	}
	if got := names(ph[1]); !slices.Equal(got, []string{FileReadme, FileBagInfo, FileBagIt, FileCroissant, FileManifest, FilePrivacyReport, FileProvenance}) {
		t.Errorf("tag phase %v", got)
	}
	if got := names(ph[2]); !slices.Equal(got, []string{FileTagManifest}) {
		t.Errorf("tagmanifest phase %v", got)
	}
	if got := names(ph[3]); !slices.Equal(got, []string{FileProvenanceSig, FileTagManifestSig}) {
		t.Errorf("signature phase %v", got)
	}
	if n := len(ph[0]) + len(ph[1]) + len(ph[2]) + len(ph[3]); n != len(files) {
		t.Errorf("%d files in phases, %d listed", n, len(files))
	}
}

// TestSignedButInconsistent re-signs a bundle whose croissant.json disagrees with the manifests:
// the signature is valid, so only the agreement checks can catch it.
func TestSignedButInconsistent(t *testing.T) {
	orig, s := buildBundle(t, 4)
	dir := copyTree(t, orig)
	cp := filepath.Join(dir, FileCroissant)
	data, _ := os.ReadFile(cp)
	var doc map[string]any
	json.Unmarshal(data, &doc)
	for _, d := range doc["distribution"].([]any) {
		m := d.(map[string]any)
		if m["contentUrl"] == FileReadme {
			m["sha256"] = strings.Repeat("0", 64)
		}
	}
	data, _ = marshalCanonical(doc)
	os.WriteFile(cp, data, 0o644)
	resign(t, dir, s)

	res, err := Verify(context.Background(), DirSource(dir), VerifyOptions{Keys: []*PublicKey{s.Public()}})
	if !errors.Is(err, ErrVerification) {
		t.Fatalf("err %v", err)
	}
	if hasProblem(res, FileTagManifestSig, KindSignature) {
		t.Fatalf("the re-signed tag manifest should verify: %v", res.Problems)
	}
	if !hasProblem(res, FileCroissant, KindMalformed) || !hasProblem(res, FileProvenance, KindMalformed) {
		t.Fatalf("want croissant.json and provenance.json disagreements, got %v", res.Problems)
	}
}
