package miniotest

import (
	"os/exec"
	"strings"
	"testing"
)

// Only tests may import this package: no non-test package of the module lists it.
func TestImportedOnlyByTests(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "github.com/raysynth/raysynth/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		for _, imp := range f[1:] {
			if imp == "github.com/raysynth/raysynth/publish/miniotest" {
				t.Errorf("%s imports miniotest outside its tests", f[0])
			}
		}
	}
}

func TestBinMissingSaysWhatToRun(t *testing.T) {
	t.Setenv(EnvBin, "")
	if _, err := Bin(); err == nil || !strings.Contains(err.Error(), "make test") || !strings.Contains(err.Error(), "make minio") {
		t.Fatalf("unset: %v", err)
	}
	t.Setenv(EnvBin, t.TempDir()+"/nothere")
	if _, err := Bin(); err == nil || !strings.Contains(err.Error(), "make minio") {
		t.Fatalf("missing: %v", err)
	}
}
