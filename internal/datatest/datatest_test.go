package datatest

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDir(t *testing.T) {
	t.Setenv(Env, "")
	// from internal/datatest the repository's folder is two up; the data sits beside it
	wd, _ := os.Getwd()
	if want := filepath.Join(filepath.Dir(filepath.Dir(filepath.Dir(wd))), "shared", "data"); Dir() != want {
		t.Errorf("Dir() = %s, want %s", Dir(), want)
	}
	d := t.TempDir()
	os.WriteFile(filepath.Join(d, "x"), nil, 0o644)
	t.Setenv(Env, d)
	if got := Require(t, "x"); got != d {
		t.Errorf("Require = %s, want %s", got, d)
	}
}
