package dicomio

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/frame"
	"github.com/suyashkumar/dicom/pkg/tag"
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

func mustNative(t *testing.T, ds dicom.Dataset) frame.INativeFrame {
	t.Helper()
	e, err := ds.FindElementByTag(tag.PixelData)
	if err != nil {
		t.Fatal(err)
	}
	nf, err := e.Value.GetValue().(dicom.PixelDataInfo).Frames[0].GetNativeFrame()
	if err != nil {
		t.Fatal(err)
	}
	return nf
}
