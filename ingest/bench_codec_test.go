package ingest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/raysynth/raysynth/internal/datatest"
	"github.com/raysynth/raysynth/internal/dicomio"
	"github.com/raysynth/raysynth/internal/dicomio/dicomtest"
	"github.com/raysynth/raysynth/internal/sysinfo"
)

// BenchmarkIngestJPEG2000Films ingests 8 different 2000×2500 16-bit lossless JPEG 2000 films
// (gdcmconv --j2k of the shared 10-bit CR upscaled with detector-like noise, about 5 MB each) at
// the default 64 px. Goal (issue 17): at least 4 films/s on 2 cores and peak RSS under 300 MB.
// It reports CPU seconds per film beside wall-clock films/s, since on a shared machine the wall
// clock measures the neighbours too.
func BenchmarkIngestJPEG2000Films(b *testing.B) {
	const n = 8
	if !codecInBuild("1.2.840.10008.1.2.4.90") {
		b.Fatal("this build has no OpenJPEG: build with -tags openjpeg (make bench does)")
	}
	raw, err := os.ReadFile(filepath.Join(datatest.Require(b), "dicom", "barre_cr_mono1_10bit_440_nopreamble.dcm"))
	if err != nil {
		b.Fatal(err)
	}
	_, p, err := dicomio.Decode(raw)
	if err != nil {
		b.Fatal(err)
	}
	in := b.TempDir()
	for f := 0; f < n; f++ {
		j2k, err := dicomtest.Encode(dicomtest.Encoder{Args: []string{"gdcmconv", "--j2k"}}, dicomtest.LargeFilm(p.Pix, p.W, p.H, 2000, 2500, uint32(f+1)))
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(in, fmt.Sprintf("film%02d.dcm", f)), j2k, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	cpu0 := cpuSeconds()
	for i := 0; i < b.N; i++ {
		rep, err := Run(context.Background(), baseConfig(in, filepath.Join(b.TempDir(), "ws")))
		if err != nil {
			b.Fatal(err)
		}
		if rep.Files.Accepted != n {
			b.Fatalf("accepted %d of %d: %v %+v", rep.Files.Accepted, n, rep.Rejections, rep.Rejected)
		}
	}
	b.ReportMetric((cpuSeconds()-cpu0)/float64(n*b.N), "cpu-s/film")
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "films/s")
	b.ReportMetric(float64(sysinfo.PeakRSS())/(1<<20), "peak-RSS-MB")
}

// cpuSeconds is the process's user plus system CPU time so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
