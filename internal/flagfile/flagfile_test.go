package flagfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// flags is a command's flag set: two top flags, a path flag, a gan section with a list flag and
// a flag the command sets itself.
func flags() (*pflag.FlagSet, Spec) {
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	fs.String("name", "", "")
	fs.String("key", "", "")
	fs.String("from", "", "")
	fs.Int("gan-epochs", 1, "")
	fs.StringSlice("gan-classes", nil, "")
	fs.Bool("gan-json", false, "")
	fs.String("bundle-out", "", "")
	return fs, Spec{
		Sections: []Section{{Name: "gan", Omit: []string{"json"}}, {Name: "ingest", Top: []string{"from"}}},
		Top:      []string{"name", "key", "bundle-out"},
		Paths:    map[string]bool{"key": true, "from": true, "bundle-out": true},
	}
}

func write(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "conf", "pipeline.yaml")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestApply(t *testing.T) {
	fs, spec := flags()
	if err := fs.Parse([]string{"--gan-epochs", "7"}); err != nil {
		t.Fatal(err)
	}
	p := write(t, "name: chest\nkey: hospital.key\nbundle-out: /abs/out\ngan: {epochs: 3, classes: [normal, effusion]}\ningest: {from: s3://b/p}\n")
	if err := Apply(p, fs, spec); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"name":        "chest",
		"key":         filepath.Join(filepath.Dir(p), "hospital.key"), // resolved against the file's folder
		"bundle-out":  "/abs/out",
		"gan-epochs":  "7", // the command line wins
		"gan-classes": "[normal,effusion]",
		"from":        "s3://b/p", // a URL is not a path
	}
	for name, v := range want {
		fl := fs.Lookup(name)
		if got := fl.Value.String(); got != v {
			t.Errorf("--%s = %q, want %q", name, got, v)
		}
		if !fl.Changed {
			t.Errorf("--%s not marked changed", name)
		}
	}
}

func TestApplyRefuses(t *testing.T) {
	for _, tc := range []struct{ name, body, want string }{
		{"unknown top key", "epochs: 3\n", `unknown key "epochs" (top-level keys: name, key, bundle-out; sections: gan, ingest)`},
		{"unknown section key", "gan: {epoch: 3}\n", "unknown key gan.epoch (the gan keys: classes, epochs)"},
		{"omitted key", "gan: {json: true}\n", "unknown key gan.json"},
		{"section not a mapping", "gan: 3\n", "gan must be a mapping of gan's flags"},
		{"bad value", "gan: {epochs: many}\n", "gan.epochs: invalid argument"},
		{"list for one value", "name: [a, b]\n", "name: want one value, not a list"},
		{"nested list", "gan: {classes: [[a, b]]}\n", "gan.classes: a list inside a list"},
		{"mapping value", "name: {a: 1}\n", "name: want a value or a list, not a mapping"},
		{"null", "name: ~\n", "name: no value"},
		{"not YAML", "name: [\n", "yaml:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs, spec := flags()
			p := write(t, tc.body)
			err := Apply(p, fs, spec)
			var fe *Error
			if !errors.As(err, &fe) || fe.Path != p {
				t.Fatalf("got %v, want an *Error naming %s", err, p)
			}
			if !strings.HasPrefix(err.Error(), "config "+p+": ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %q, want it to name the file and say %q", err, tc.want)
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		fs, spec := flags()
		err := Apply(filepath.Join(t.TempDir(), "none.yaml"), fs, spec)
		var fe *Error
		if !errors.As(err, &fe) || !fe.Read || !errors.Is(err, os.ErrNotExist) || !strings.HasPrefix(err.Error(), "read config ") {
			t.Errorf("got %v, want a read *Error wrapping ErrNotExist", err)
		}
	})
}

// FuzzApply feeds config files to Apply: any input gives nil or an *Error naming the file, never
// a panic.
func FuzzApply(f *testing.F) {
	f.Add([]byte("name: chest\nkey: hospital.key\ngan: {epochs: 25, classes: [normal, effusion]}\ningest: {from: export/}\n"))
	f.Add([]byte(`{"name": "ws", "gan": {"epochs": 1e309}}`))
	f.Add([]byte("ingest: [1, [2]]\nfrom: &a [*a]\n"))
	f.Add([]byte("a: &a [*a, *a, *a]\nb: &b [*a, *a, *a]\n"))
	f.Add([]byte("name: {x: 1}\nkey: ~\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "pipeline.yaml")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		fs, spec := flags()
		err := Apply(path, fs, spec)
		var fe *Error
		if err != nil && (!errors.As(err, &fe) || fe.Path != path) {
			t.Fatalf("not an *Error naming the file: %v", err)
		}
	})
}

// TestSectionAddFlags: a stage's flags appear under the section's prefix (or their own name for
// Top ones), share the stage's values, and a file's section key sets them.
func TestSectionAddFlags(t *testing.T) {
	src := pflag.NewFlagSet("train gan", pflag.ContinueOnError)
	epochs := src.IntP("epochs", "e", 30, "epochs to train")
	from := src.String("from", "", "export folder")
	src.Bool("json", false, "print JSON")
	dst := pflag.NewFlagSet("run", pflag.ContinueOnError)
	sec := Section{Name: "gan", Top: []string{"from"}, Omit: []string{"json"}}
	sec.AddFlags(dst, src, func(name string) bool { return name == "gan-epochs" })

	fl := dst.Lookup("gan-epochs")
	if fl == nil || fl.Usage != "gan: epochs to train" || fl.Shorthand != "" || fl.Hidden || fl.DefValue != "30" {
		t.Fatalf("gan-epochs: %+v", fl)
	}
	if dst.Lookup("gan-json") != nil || dst.Lookup("json") != nil {
		t.Error("an omitted flag was added")
	}
	if fl := dst.Lookup("from"); fl == nil || fl.Hidden || fl.Usage != "export folder" {
		t.Errorf("top flag from: %+v", fl)
	}
	if err := dst.Parse([]string{"--gan-epochs", "5", "--from", "x"}); err != nil {
		t.Fatal(err)
	}
	if *epochs != 5 || *from != "x" {
		t.Errorf("the stage's values: epochs %d from %q, want 5 and x", *epochs, *from)
	}

	src2 := pflag.NewFlagSet("synth", pflag.ContinueOnError)
	perClass := src2.Int("per-class", 0, "")
	dst2 := pflag.NewFlagSet("run", pflag.ContinueOnError)
	Section{Name: "synth"}.AddFlags(dst2, src2, func(string) bool { return false })
	if !dst2.Lookup("synth-per-class").Hidden {
		t.Error("a flag shown does not name is not hidden")
	}
	p := write(t, "synth: {per-class: 12}\n")
	if err := Apply(p, dst2, Spec{Sections: []Section{{Name: "synth"}}}); err != nil || *perClass != 12 {
		t.Fatalf("synth.per-class from the file: %d, %v", *perClass, err)
	}
}
