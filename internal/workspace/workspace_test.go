package workspace

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(dir); !errors.Is(err, ErrNotWorkspace) {
		t.Fatalf("Open on empty folder: %v, want ErrNotWorkspace", err)
	}
	w, err := Init(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(w.PrivateDir())
	if st.Mode().Perm() != 0o700 {
		t.Fatalf("private dir mode %v", st.Mode().Perm())
	}
	// workspace.json, the workspace description every stage reads: every field survives
	want := Meta{ImageSize: 64, Classes: []string{"normal", "edema"}, Seed: 1<<63 + 7, Phantom: true}
	if err := w.SaveMeta(want); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir); err != nil {
		t.Fatal(err)
	}
	m, err := w.LoadMeta()
	want.Format = FormatVersion
	if err != nil || !reflect.DeepEqual(m, want) {
		t.Fatalf("meta %+v, %v; want %+v", m, err, want)
	}
	b, _ := os.ReadFile(w.Path("workspace.json"))
	os.WriteFile(w.Path("workspace.json"), bytes.Replace(b, []byte(`"format": 1`), []byte(`"format": 99`), 1), 0o644)
	if _, err := w.LoadMeta(); err == nil || !strings.Contains(err.Error(), "workspace format 99") {
		t.Fatalf("a workspace.json of another format: %v", err)
	}
	if err := w.SaveMeta(want); err != nil {
		t.Fatal(err)
	}
	real := []RealImage{{"i-b", "p-1", "normal", SplitTrain, "ab", "png"}, {"i-a", "p-2", "edema", SplitHoldout, "cd", "dicom"}}
	if err := w.WriteRealIndex(real); err != nil {
		t.Fatal(err)
	}
	got, err := w.ReadRealIndex()
	if err != nil || len(got) != 2 || got[0].ID != "i-a" || got[1] != real[0] {
		t.Fatalf("real index %+v, %v", got, err)
	}
	synth := []SynthImage{{ID: "s-2", Class: "normal", File: "candidates/normal/s-2.png", Seed: 1 << 63, Sample: 4}, {ID: "s-1", Class: "edema", Seed: 3}}
	p := w.CandidatesIndexPath()
	if err := WriteSynthIndex(p, synth); err != nil {
		t.Fatal(err)
	}
	gs, err := ReadSynthIndex(p)
	if err != nil || len(gs) != 2 || gs[0].ID != "s-1" || gs[1] != synth[0] {
		t.Fatalf("synth index %+v, %v", gs, err)
	}
	os.WriteFile(p, []byte("id,wrong\n"), 0o644)
	if _, err := ReadSynthIndex(p); err == nil {
		t.Fatal("bad header accepted")
	}
}

func TestIsPrivate(t *testing.T) {
	for rel, want := range map[string]bool{
		"private/secret.key":                     true,
		"private":                                true,
		"privacy/report.html":                    true,
		"privacy/report.json":                    true,
		"privacy/summary.json":                   false,
		"approved/index.csv":                     false,
		"privatefoo/x":                           false,
		filepath.Join("a", "..", "private", "x"): true,
	} {
		if got := IsPrivate(rel); got != want {
			t.Errorf("IsPrivate(%q) = %v, want %v", rel, got, want)
		}
	}
}
