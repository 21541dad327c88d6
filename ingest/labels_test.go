package ingest

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/raysynth/raysynth/internal/datatest"
)

func TestReadLabelsShared(t *testing.T) {
	d := datatest.Require(t)
	for _, tc := range []struct {
		file, format, column string
		wantFormat           string
		rows                 int
		probe                string // a file name
		findings             []string
		patient              string
	}{
		{"nih_labels/Data_Entry_2017_v2020.csv.gz", "auto", "", FormatNIH, 112120, "00000001_001.png", []string{"cardiomegaly", "emphysema"}, "1"},
		{"nih1000_64/labels.csv", "auto", "", FormatNIH1000, 1000, "00000001_000.png", []string{"cardiomegaly"}, "1"},
		{"kermany_128/labels.csv", "auto", "", FormatKermany, 5216, "IM-0115-0001.png", []string{"normal"}, "IM-0115"},
		{"kermany_128/labels.csv", "kermany", "subtype", FormatKermany, 5216, "person1000_virus_1681.png", []string{"virus"}, ""},
	} {
		t.Run(tc.file+"/"+tc.column, func(t *testing.T) {
			l, err := ReadLabels(filepath.Join(d, tc.file), tc.format, tc.column)
			if err != nil {
				t.Fatal(err)
			}
			if l.Format != tc.wantFormat || len(l.Rows) != tc.rows {
				t.Fatalf("format %s rows %d, want %s %d", l.Format, len(l.Rows), tc.wantFormat, tc.rows)
			}
			i := l.Lookup(filepath.Join("/elsewhere", tc.probe)) // matched by base name
			if i < 0 {
				t.Fatalf("%s not found", tc.probe)
			}
			if r := l.Rows[i]; !slices.Equal(r.Findings, tc.findings) || (tc.patient != "" && r.Patient != tc.patient) {
				t.Fatalf("row %+v, want findings %v patient %q", r, tc.findings, tc.patient)
			}
		})
	}
}

func TestParseLabelsErrors(t *testing.T) {
	for name, tc := range map[string]struct{ csv, format, column, want string }{
		"unknown layout":   {"a,b,c\n1,2,3\n", "auto", "", "matches no known layout"},
		"missing column":   {"file,label,patient\nx.png,normal,1\n", "plain", "subtype", `label column "subtype"`},
		"duplicate file":   {"file,label,patient\nx.png,normal,1\nx.png,edema,1\n", "auto", "", "listed twice"},
		"no rows":          {"file,label,patient\n", "auto", "", "no rows"},
		"unknown format":   {"file,label,patient\nx.png,normal,1\n", "dicomdir", "", "unknown labels format"},
		"short row":        {"file,label,patient\nx.png\n", "auto", "", "fields"},
		"kermany on plain": {"file,label,patient\nx.png,normal,1\n", "kermany", "", `needs a "image" column`},
		// Class names outside the alphabet (letters, digits, _ - .) are refused with their line,
		// named by code point: NUL used to fail later in train, U+202E to print reversed.
		"NUL in a class":   {"file,label,patient\nx.png,normal,1\ny.png,nor\x00mal,2\n", "auto", "", `line 3: class name "nor\x00mal" has the character U+0000`},
		"RLO in a class":   {"file,label,patient\nx.png,ev\u202eil,1\n", "auto", "", `line 2: class name "ev\u202eil" has the character U+202E`},
		"slash in a class": {"file,label,patient\nx.png,a/b,1\n", "auto", "", "U+002F"},
		"dot class":        {"file,label,patient\nx.png,..,1\n", "auto", "", "starts with a dot"},
		"long class":       {"file,label,patient\nx.png," + strings.Repeat("a", 65) + ",1\n", "auto", "", "at most 64"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := parseLabels(strings.NewReader(tc.csv), tc.format, tc.column)
			if !errors.Is(err, ErrLabels) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want ErrLabels mentioning %q", err, tc.want)
			}
		})
	}
}

// The class alphabet keeps real label spellings: NIH's, Kermany's and dotted version-like names.
func TestClassAlphabetAcceptsRealLabels(t *testing.T) {
	for _, c := range []string{"No Finding", "Pleural_Thickening", "Pleural-Thickening", "virus", "covid-19", "grade.2", "Lungenödem"} {
		if err := CheckClass(NormalizeClass(c)); err != nil {
			t.Errorf("%q: %v", c, err)
		}
	}
}

func TestPlainLayoutPathThenBaseName(t *testing.T) {
	l, err := parseLabels(strings.NewReader("file,label,patient\nimages/a/x.png,Normal,p1\nimages/b/x.png,No Finding|Edema,p2\nimages/y.png,Pleural_Thickening,p3\n"), "auto", "")
	if err != nil {
		t.Fatal(err)
	}
	l.dir = "/data"
	if l.Format != FormatPlain {
		t.Fatalf("format %s", l.Format)
	}
	for path, want := range map[string]int{"/data/images/a/x.png": 0, "/data/images/b/x.png": 1, "/other/x.png": -1, "/other/y.png": 2} {
		if got := l.Lookup(path); got != want {
			t.Errorf("Lookup(%s) = %d, want %d", path, got, want)
		}
	}
	if !slices.Equal(l.Rows[1].Findings, []string{"normal", "edema"}) || l.Rows[2].Findings[0] != "pleural_thickening" {
		t.Fatalf("findings %v %v", l.Rows[1].Findings, l.Rows[2].Findings)
	}
}

func TestDecide(t *testing.T) {
	sel := []string{"normal", "effusion", "edema"}
	for _, tc := range []struct {
		findings []string
		policy   string
		class    string
		reason   string
	}{
		{[]string{"normal"}, PolicySingle, "normal", ""},
		{[]string{"effusion", "emphysema"}, PolicySingle, "", ReasonMultiple},
		{[]string{"effusion", "emphysema"}, PolicyPrimary, "effusion", ""},
		{[]string{"effusion", "edema"}, PolicyPrimary, "", ReasonSeveralSelected},
		{[]string{"nodule"}, PolicyPrimary, "", ReasonNotSelected},
		{[]string{"nodule", "mass"}, PolicySingle, "", ReasonNotSelected},
		{nil, PolicySingle, "", ReasonUnlabeled},
	} {
		class, reason, _ := decide(tc.findings, sel, tc.policy)
		if class != tc.class || reason != tc.reason {
			t.Errorf("%v/%s: got %q %q, want %q %q", tc.findings, tc.policy, class, reason, tc.class, tc.reason)
		}
	}
	if c, r, _ := decide([]string{"virus"}, nil, PolicySingle); c != "virus" || r != "" {
		t.Errorf("no selection: %q %q", c, r)
	}
}

func TestConfigValidate(t *testing.T) {
	ok := baseConfig(t.TempDir(), t.TempDir())
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mut := range map[string]func(*Config){
		"no input":        func(c *Config) { c.From = "" },
		"missing input":   func(c *Config) { c.From = "/no/such/folder" },
		"bad policy":      func(c *Config) { c.LabelPolicy = "any" },
		"bad size":        func(c *Config) { c.Size = 3 },
		"bad holdout":     func(c *Config) { c.Holdout = 1 },
		"bad aspect":      func(c *Config) { c.Aspect = "stretch" },
		"classes no file": func(c *Config) { c.Classes = []string{"normal"} },
		"keep fraction":   func(c *Config) { c.Keep = map[string]float64{"virus": 2} },
		"bidi class":      func(c *Config) { c.Labels, c.Classes = "l.csv", []string{"a\u202eb"} },
	} {
		c := ok
		mut(&c)
		if c.Validate() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, _, err := ParseKeep("virus"); err == nil {
		t.Error("ParseKeep without fraction accepted")
	}
	if n, f, err := ParseKeep("Virus=0.1"); err != nil || n != "virus" || f != 0.1 {
		t.Errorf("ParseKeep: %q %v %v", n, f, err)
	}
}

func FuzzParseLabels(f *testing.F) {
	f.Add("file,label,patient\nimages/a.png,normal,p1\n")
	f.Add("Image Index,Finding Labels,Patient ID\n00000001_000.png,Cardiomegaly|Effusion,1\n")
	f.Add("image,label,subtype,patient_key\nIM-1.png,pneumonia,virus,IM-1\n")
	f.Fuzz(func(t *testing.T, s string) {
		l, err := parseLabels(strings.NewReader(s), "auto", "")
		if err == nil {
			for _, r := range l.Rows {
				if r.File == "" {
					t.Fatal("row without file")
				}
			}
		}
	})
}
