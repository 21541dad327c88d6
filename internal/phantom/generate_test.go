package phantom

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func smallConfig(out string, seed uint64) Config {
	return Config{Out: out, Count: 23, Seed: seed, Size: 32, MinFilms: 2, MaxFilms: 3}
}

// readTree returns every file under dir (relative path → bytes).
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		files[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestGenerateIsDeterministic(t *testing.T) {
	dir := t.TempDir()
	run := func(name string, seed uint64) map[string][]byte {
		if _, err := Generate(context.Background(), smallConfig(filepath.Join(dir, name), seed)); err != nil {
			t.Fatal(err)
		}
		return readTree(t, filepath.Join(dir, name))
	}
	a, b, c := run("a", 7), run("b", 7), run("c", 8)
	if len(a) != 23+3 {
		t.Fatalf("got %d files, want 23 images + labels.csv, phantom.json, contact-sheet.png", len(a))
	}
	if len(a) != len(b) {
		t.Fatalf("same seed: %d files vs %d", len(a), len(b))
	}
	for name, data := range a {
		if !bytes.Equal(data, b[name]) {
			t.Errorf("same seed: %s differs", name)
		}
	}
	same := 0
	for name, data := range a {
		if strings.HasPrefix(name, "images") && bytes.Equal(data, c[name]) {
			same++
		}
	}
	if same > 0 || bytes.Equal(a["labels.csv"], c["labels.csv"]) && bytes.Equal(a[".preview/contact-sheet.png"], c[".preview/contact-sheet.png"]) {
		t.Errorf("different seeds gave %d identical images (labels identical: %v)", same, bytes.Equal(a["labels.csv"], c["labels.csv"]))
	}
}

func TestLabelsLayout(t *testing.T) {
	out := filepath.Join(t.TempDir(), "ph")
	cfg := smallConfig(out, 3)
	cfg.Count = 40
	cfg.Mix = map[string]float64{Normal: 2, Cardiomegaly: 1, Effusion: 1}
	sum, err := Generate(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(out, "labels.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(raw, []byte("file,label,patient\n")) {
		t.Fatalf("labels.csv must start with the header file,label,patient; got %q", raw[:min(len(raw), 40)])
	}
	rows, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	rows = rows[1:]
	if len(rows) != 40 {
		t.Fatalf("%d rows, want 40", len(rows))
	}
	perClass := map[string]int{}
	patientClass := map[string]string{}
	patientFilms := map[string]int{}
	for _, r := range rows {
		file, label, patient := r[0], r[1], r[2]
		if !strings.HasPrefix(file, "images/") || filepath.Ext(file) != ".png" || filepath.IsAbs(file) {
			t.Errorf("file %q is not images/<name>.png relative to the CSV's folder", file)
		}
		if !strings.HasPrefix(filepath.Base(file), patient+"_") {
			t.Errorf("file %q does not belong to patient %q", file, patient)
		}
		f, err := os.Open(filepath.Join(out, file))
		if err != nil {
			t.Fatalf("row names a missing file: %v", err)
		}
		cfgImg, err := png.DecodeConfig(f)
		f.Close()
		if err != nil || cfgImg.Width != 32 || cfgImg.Height != 32 {
			t.Errorf("%s: %dx%d (%v), want 32x32 gray", file, cfgImg.Width, cfgImg.Height, err)
		}
		if c, ok := patientClass[patient]; ok && c != label {
			t.Errorf("patient %s has films labelled %s and %s", patient, c, label)
		}
		patientClass[patient] = label
		patientFilms[patient]++
		perClass[label]++
	}
	want := map[string]int{Normal: 20, Cardiomegaly: 10, Effusion: 10}
	for c, n := range want {
		if perClass[c] != n || sum.PerClass[c] != n {
			t.Errorf("class %s: %d rows, summary %d, want %d", c, perClass[c], sum.PerClass[c], n)
		}
	}
	if len(perClass) != 3 {
		t.Errorf("classes %v, want only normal, cardiomegaly, effusion", perClass)
	}
	short := 0
	for p, n := range patientFilms {
		if n > 3 {
			t.Errorf("patient %s has %d films, want at most 3", p, n)
		}
		if n < 2 {
			short++ // only the last patient of a class may be short
		}
	}
	if short > 3 || len(patientFilms) != sum.Patients {
		t.Errorf("%d patients with fewer than 2 films; %d patients vs summary %d", short, len(patientFilms), sum.Patients)
	}
	var meta Summary
	b, _ := os.ReadFile(filepath.Join(out, "phantom.json"))
	if err := json.Unmarshal(b, &meta); err != nil || meta.Seed != 3 || meta.Films != 40 {
		t.Errorf("phantom.json: %+v (%v)", meta, err)
	}
	if _, err := os.Stat(filepath.Join(out, ".preview", "contact-sheet.png")); err != nil {
		t.Error(err)
	}
}

func TestDefaultMixIsImbalanced(t *testing.T) {
	n := classCounts(200, DefaultMix())
	total := 0
	for _, c := range Classes {
		total += n[c]
		if c != Normal && n[c] >= n[Normal] {
			t.Errorf("%s (%d) not rarer than normal (%d)", c, n[c], n[Normal])
		}
	}
	if total != 200 {
		t.Errorf("counts sum to %d, want 200", total)
	}
	if n[Edema] > n[Effusion]/2+1 || n[Pneumothorax] > n[Cardiomegaly]/2+1 {
		t.Errorf("edema and pneumothorax should be rare: %v", n)
	}
}

func TestClassCounts(t *testing.T) {
	for _, tc := range []struct {
		count int
		mix   map[string]float64
		want  map[string]int
	}{
		{10, map[string]float64{Normal: 1, Edema: 1}, map[string]int{Normal: 5, Edema: 5}},
		{7, map[string]float64{Normal: 0.5, Effusion: 0.5}, map[string]int{Normal: 4, Effusion: 3}},
		{5, map[string]float64{Normal: 100, Pneumothorax: 0.1}, map[string]int{Normal: 4, Pneumothorax: 1}},
		{3, map[string]float64{Normal: 1, Edema: 0}, map[string]int{Normal: 3}},
	} {
		got := classCounts(tc.count, tc.mix)
		for _, c := range Classes {
			if got[c] != tc.want[c] {
				t.Errorf("classCounts(%d, %v) = %v, want %v", tc.count, tc.mix, got, tc.want)
				break
			}
		}
	}
}

func TestGenerateRefusesExistingFolderAndReplaces(t *testing.T) {
	out := filepath.Join(t.TempDir(), "ph")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(out, "keep.txt"), []byte("x"), 0o644)
	cfg := smallConfig(out, 1)
	if _, err := Generate(context.Background(), cfg); !errors.Is(err, ErrExists) {
		t.Fatalf("existing folder: err = %v, want ErrExists", err)
	}
	if _, err := os.Stat(filepath.Join(out, "keep.txt")); err != nil {
		t.Fatal("existing folder was touched")
	}
	cfg.Replace = true
	if _, err := Generate(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(out, "keep.txt")); err == nil {
		t.Error("replace kept the old folder's files")
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".tmp-*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary folders left behind: %v", leftovers)
	}
}

func TestGenerateTrailingSlash(t *testing.T) {
	parent := t.TempDir()
	if _, err := Generate(context.Background(), smallConfig(parent+"/ph/", 1)); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(parent)
	if len(entries) != 1 || entries[0].Name() != "ph" {
		t.Fatalf("parent holds %v, want only ph", entries)
	}
	if _, err := os.Stat(filepath.Join(parent, "ph", "labels.csv")); err != nil {
		t.Fatal(err)
	}
}

func TestGenerateCancelledLeavesNothing(t *testing.T) {
	parent := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Generate(ctx, smallConfig(filepath.Join(parent, "ph"), 1))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	entries, _ := os.ReadDir(parent)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	if len(names) > 0 {
		t.Errorf("cancelled run left %v", names)
	}
}

func TestConfigValidate(t *testing.T) {
	ok := smallConfig("out", 1)
	for _, tc := range []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"valid", func(*Config) {}, ""},
		{"no out", func(c *Config) { c.Out = "" }, "no output folder"},
		{"zero count", func(c *Config) { c.Count = 0 }, "count must be at least 1"},
		{"tiny size", func(c *Config) { c.Size = 8 }, "size must be between"},
		{"films range", func(c *Config) { c.MinFilms, c.MaxFilms = 3, 2 }, "films per patient"},
		{"unknown class", func(c *Config) { c.Mix = map[string]float64{"flu": 1} }, `unknown class "flu"`},
		{"negative weight", func(c *Config) { c.Mix = map[string]float64{Normal: -1} }, "non-negative"},
		{"all zero", func(c *Config) { c.Mix = map[string]float64{Normal: 0} }, "no class with a positive weight"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.change(&c)
			err := c.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestParseMix(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want map[string]float64
		err  string
	}{
		{"normal=0.5,effusion=0.2", map[string]float64{Normal: 0.5, Effusion: 0.2}, ""},
		{" Normal = 3 , edema=1 ,", map[string]float64{Normal: 3, Edema: 1}, ""},
		{"normal", nil, "not class=weight"},
		{"normal=x", nil, "non-negative number"},
		{"normal=-1", nil, "non-negative number"},
		{"normal=NaN", nil, "non-negative number"},
		{"normal=1,normal=2", nil, "twice"},
		{"covid=1", nil, "unknown class"},
		{"", nil, "empty mix"},
	} {
		got, err := ParseMix(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseMix(%q) err = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || len(got) != len(tc.want) {
			t.Errorf("ParseMix(%q) = %v, %v", tc.in, got, err)
			continue
		}
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("ParseMix(%q)[%s] = %v, want %v", tc.in, k, got[k], v)
			}
		}
	}
}

func TestParseRange(t *testing.T) {
	for _, tc := range []struct {
		in     string
		lo, hi int
		ok     bool
	}{
		{"3", 3, 3, true}, {"2-4", 2, 4, true}, {" 1 - 1 ", 1, 1, true},
		{"0", 0, 0, false}, {"4-2", 0, 0, false}, {"a-b", 0, 0, false}, {"", 0, 0, false}, {"2-", 0, 0, false},
	} {
		lo, hi, err := ParseRange(tc.in)
		if (err == nil) != tc.ok || tc.ok && (lo != tc.lo || hi != tc.hi) {
			t.Errorf("ParseRange(%q) = %d, %d, %v", tc.in, lo, hi, err)
		}
	}
}

func FuzzParseMix(f *testing.F) {
	for _, s := range []string{"normal=0.5,effusion=0.2", "edema=1e300", "=", ",,,", "pneumothorax=0x1p-3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		mix, err := ParseMix(s)
		if err != nil {
			return
		}
		c := Config{Out: "x", Count: 10, Size: 32, MinFilms: 1, MaxFilms: 1, Mix: mix}
		if err := c.Validate(); err != nil {
			// a parsed mix may still have no positive weight; anything else is a parser bug
			if !strings.Contains(err.Error(), "no class with a positive weight") {
				t.Fatalf("ParseMix(%q) accepted %v but Validate says %v", s, mix, err)
			}
			return
		}
		total := 0
		for _, n := range classCounts(10, mix) {
			total += n
		}
		if total != 10 {
			t.Fatalf("ParseMix(%q) = %v: counts sum to %d, want 10", s, mix, total)
		}
	})
}

func TestSample(t *testing.T) {
	imgs, err := Sample(Cardiomegaly, 5, 64, 9)
	if err != nil {
		t.Fatal(err)
	}
	if len(imgs) != 5 || imgs[0].Rect.Dx() != 64 {
		t.Fatalf("got %d images", len(imgs))
	}
	again, _ := Sample(Cardiomegaly, 5, 64, 9)
	if !bytes.Equal(imgs[4].Pix, again[4].Pix) {
		t.Error("Sample is not deterministic")
	}
	if _, err := Sample("flu", 1, 64, 1); err == nil {
		t.Error("unknown class accepted")
	}
}
