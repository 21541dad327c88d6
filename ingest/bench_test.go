package ingest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/raysynth/raysynth/internal/dicomio/dicomtest"
	"github.com/raysynth/raysynth/internal/sysinfo"
)

// BenchmarkIngestLargeDICOM ingests a folder of 2048² 16-bit native DICOM films (8 MB each) and
// reports the peak resident memory: it must stay near a few films' worth, not grow with the
// folder (files are streamed through two workers).
func BenchmarkIngestLargeDICOM(b *testing.B) {
	const n, side = 40, 2048
	in := b.TempDir()
	px := make([]uint16, side*side)
	for f := 0; f < n; f++ {
		for i := range px {
			x, y := i%side, i/side
			px[i] = uint16((x*7 + y*(f+3) + f*f) % 4096)
		}
		data := dicomtest.Build("1.2.840.10008.1.2.1", false, false, dicomtest.ImageElems(side, side, "MONOCHROME2", 12, px), nil)
		if err := os.WriteFile(filepath.Join(in, fmt.Sprintf("film%03d.dcm", f)), data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	px = nil
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ws := filepath.Join(b.TempDir(), "ws")
		rep, err := Run(context.Background(), baseConfig(in, ws))
		if err != nil {
			b.Fatal(err)
		}
		if rep.Files.Accepted != n {
			b.Fatalf("accepted %d of %d: %v", rep.Files.Accepted, n, rep.Rejections)
		}
	}
	b.ReportMetric(float64(sysinfo.PeakRSS())/(1<<20), "peak-RSS-MB")
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "films/s")
}

// BenchmarkIngestKermany ingests the shared Kermany set (5,216 PNGs at 128²) at 64×64: the goal
// is well under a minute on 2 cores.
func BenchmarkIngestKermany(b *testing.B) {
	d := sharedData(b)
	for i := 0; i < b.N; i++ {
		cfg := baseConfig(filepath.Join(d, "kermany_128", "images"), filepath.Join(b.TempDir(), "ws"))
		cfg.Labels = filepath.Join(d, "kermany_128", "labels.csv")
		cfg.LabelColumn = "subtype"
		rep, err := Run(context.Background(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		if rep.Files.Accepted < 5000 {
			b.Fatalf("accepted %d", rep.Files.Accepted)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/ingest")
	b.ReportMetric(float64(sysinfo.PeakRSS())/(1<<20), "peak-RSS-MB")
}
