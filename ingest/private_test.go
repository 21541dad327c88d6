package ingest

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/raysynth/raysynth/internal/datatest"
	"github.com/raysynth/raysynth/internal/workspace"
)

// PrivateStrings holds every source path, source patient, pseudonym and real image hash an
// ingest wrote, and refuses a damaged source map.
func TestPrivateStrings(t *testing.T) {
	ws := t.TempDir()
	mustRun(t, baseConfig(filepath.Join(datatest.Require(t), "dicom"), ws))
	w, err := workspace.Open(ws)
	if err != nil {
		t.Fatal(err)
	}
	strs, hashes, err := PrivateStrings(w)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := readSourceMap(w.SourceMapPath())
	if err != nil || len(recs) == 0 {
		t.Fatalf("source map: %d records, %v", len(recs), err)
	}
	secret, _ := os.ReadFile(w.SecretPath())
	want := []string{strings.TrimSpace(string(secret))}
	for _, r := range recs {
		want = append(want, r.ID, r.Patient, r.SourcePath, filepath.Base(r.SourcePath))
		if r.SourcePatient != "" {
			want = append(want, r.SourcePatient)
		}
		if !slices.Contains(hashes, r.SHA256) {
			t.Errorf("hash of %s missing", r.ID)
		}
	}
	for _, s := range want {
		if len(s) >= MinPrivateString && !slices.Contains(strs, s) {
			t.Errorf("%q is not among the private strings", s)
		}
	}
	for _, s := range strs {
		if len(s) < MinPrivateString {
			t.Errorf("%q is shorter than %d: it would match by chance", s, MinPrivateString)
		}
	}

	if err := os.WriteFile(w.SourceMapPath(), []byte("id,path\nx,y\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := PrivateStrings(w); err == nil || !strings.Contains(err.Error(), w.SourceMapPath()) {
		t.Errorf("damaged source map: %v, want an error naming it", err)
	}
}
