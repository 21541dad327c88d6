// Package datatest finds the shared real data (NIH, Kermany, DICOM files) the tests read: the
// folder named by RAYSYNTH_TESTDATA, else shared/data beside the repository's folder. The data is
// never committed. Test helper: imported only by tests.
package datatest

import (
	"os"
	"path/filepath"
	"testing"
)

// Env names the shared data folder.
const Env = "RAYSYNTH_TESTDATA"

// Dir is the shared data folder, absolute; it may not exist.
func Dir() string {
	if d := os.Getenv(Env); d != "" {
		d, _ = filepath.Abs(d)
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		return filepath.Join("..", "shared", "data")
	}
	// the repository's folder is the first one up from the test's package holding go.mod
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(filepath.Dir(d), "shared", "data")
		}
		if filepath.Dir(d) == d {
			return filepath.Join(filepath.Dir(wd), "shared", "data")
		}
	}
}

// Require is [Dir], failing the test with what to do when it is missing: when any of need
// (paths inside it), or without need its README.md, is not there.
func Require(t testing.TB, need ...string) string {
	t.Helper()
	d := Dir()
	if len(need) == 0 {
		need = []string{"README.md"}
	}
	for _, n := range need {
		if _, err := os.Stat(filepath.Join(d, n)); err != nil {
			t.Fatalf("shared real data not found at %s (set %s to the shared data folder): %v", d, Env, err)
		}
	}
	return d
}
