package dicomio

import (
	"os"
	"path/filepath"
	"testing"
)

// sharedDICOM returns the folder of the shared DICOM files, failing when it is missing.
func sharedDICOM(t testing.TB) string {
	t.Helper()
	d := os.Getenv("RAYSYNTH_TESTDATA")
	if d == "" {
		d = filepath.Join("..", "..", "..", "shared", "data")
	}
	d = filepath.Join(d, "dicom")
	if _, err := os.Stat(filepath.Join(d, "barre_cr_mono1_10bit_440_nopreamble.dcm")); err != nil {
		t.Fatalf("shared DICOM data not found at %s (set RAYSYNTH_TESTDATA to the shared data folder): %v", d, err)
	}
	return d
}
