package main

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
)

// bundleWorkspace extracts the tiny workspace fixture of the bundle scripts into a temp folder.
func bundleWorkspace(t *testing.T) string {
	t.Helper()
	ar, err := txtar.ParseFile(filepath.Join("testdata", "script", "bundle_round_trip.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, f := range ar.Files {
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestBundleVerifyExitCodes checks the documented exit codes (3 for a failed gate, 4 for a failed
// verification) and that no file of a bundle carries anything from the workspace's private side.
func TestBundleVerifyExitCodes(t *testing.T) {
	dir := bundleWorkspace(t)
	t.Setenv(envPassword, "exit-code-test")
	t.Setenv(envCosignPass, "")
	key := filepath.Join(dir, "k")
	if code, _, errOut := runCLI(t, "keygen", "--out", key); code != 0 {
		t.Fatalf("keygen exit %d: %s", code, errOut)
	}
	ws := filepath.Join(dir, "ws")
	rel := filepath.Join(dir, "rel")
	code, out, errOut := runCLI(t, "--workspace", ws, "bundle", "--organization", "Test Hospital", "--name", "chest", "--version", "1.0.0", "--key", key+".key", "--out", rel, "--json")
	if code != 0 {
		t.Fatalf("bundle exit %d: %s", code, errOut)
	}
	var built struct{ Images int }
	if err := json.Unmarshal([]byte(out), &built); err != nil || built.Images != 4 {
		t.Fatalf("bundle --json: %v %s", err, out)
	}

	// Nothing private in any file of the bundle.
	private := []string{"5ec7e75ec7e7", "p-fedcba9876543210", "r-0123456789abcdef0123", "DOE_JANE", "MRN-00443321", "/pacs/export"}
	filepath.WalkDir(rel, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, _ := os.ReadFile(p)
		for _, s := range private {
			if bytes.Contains(data, []byte(s)) {
				t.Errorf("%s contains private string %q", p, s)
			}
		}
		return nil
	})

	if code, _, errOut := runCLI(t, "verify", rel, "--key", key+".pub"); code != exitOK {
		t.Fatalf("verify exit %d: %s", code, errOut)
	}
	os.WriteFile(filepath.Join(rel, "data", "index.csv"), []byte("id\n"), 0o644)
	code, out, _ = runCLI(t, "verify", rel, "--key", key+".pub", "--json")
	if code != exitVerifyFail {
		t.Fatalf("verify of a tampered bundle: exit %d, want %d", code, exitVerifyFail)
	}
	var res struct {
		OK       bool
		Problems []struct{ File, Kind string }
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.OK || len(res.Problems) == 0 {
		t.Fatalf("verify --json: %v %s", err, out)
	}

	os.WriteFile(filepath.Join(ws, "privacy", "summary.json"), []byte(`{"passed":false,"failed_checks":["mia_auc"]}`), 0o644)
	code, _, errOut = runCLI(t, "--workspace", ws, "bundle", "--organization", "Test Hospital", "--name", "chest", "--version", "1.0.1", "--key", key+".key", "--out", filepath.Join(dir, "rel2"))
	if code != exitGateFailed || !strings.Contains(errOut, "mia_auc") {
		t.Fatalf("failed gate: exit %d, want %d: %s", code, exitGateFailed, errOut)
	}
}
