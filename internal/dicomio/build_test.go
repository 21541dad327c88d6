package dicomio

import (
	"path/filepath"
	"testing"

	"github.com/raysynth/raysynth/internal/datatest"
)

// sharedDICOM returns the folder of the shared DICOM files, failing when it is missing.
func sharedDICOM(t testing.TB) string {
	t.Helper()
	return filepath.Join(datatest.Require(t, "dicom/barre_cr_mono1_10bit_440_nopreamble.dcm"), "dicom")
}
