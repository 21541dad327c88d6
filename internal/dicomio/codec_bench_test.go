package dicomio

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/raysynth/raysynth/internal/dicomio/dicomtest"
)

// BenchmarkDecodeJPEG2000Film decodes a 2000×2500 16-bit lossless JPEG 2000 film (made by
// gdcmconv --j2k from the shared 10-bit CR, upscaled with detector-like noise) through [Decode]:
// parse, OpenJPEG, BitsStored masking and rendering.
func BenchmarkDecodeJPEG2000Film(b *testing.B) {
	raw, err := os.ReadFile(filepath.Join(sharedDICOM(b), "barre_cr_mono1_10bit_440_nopreamble.dcm"))
	if err != nil {
		b.Fatal(err)
	}
	_, p, err := Decode(raw)
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	j2k, err := dicomtest.Encode(dicomtest.Encoder{Args: []string{"gdcmconv", "--j2k"}}, dicomtest.LargeFilm(p.Pix, p.W, p.H, 2000, 2500, 1))
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("gdcmconv --j2k: %.1f MB in %v", float64(len(j2k))/1e6, time.Since(t0))
	if libOpenJP.decode == nil {
		b.Fatal("this build has no OpenJPEG: build with -tags openjpeg (make bench does)")
	}
	b.SetBytes(2000 * 2500 * 2)
	b.ResetTimer()
	cpu0 := cpuSeconds()
	for i := 0; i < b.N; i++ {
		if _, _, err := Decode(j2k); err != nil {
			b.Fatal(err)
		}
	}
	// CPU seconds per film as well as wall time: on a shared machine the wall time measures the
	// neighbours; the CPU time is what 2 cores of our own would divide.
	b.ReportMetric((cpuSeconds()-cpu0)/float64(b.N), "cpu-s/film")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "films/s")
	// What ingest does at its default size: the 500×625 resolution level.
	cpu0, t0 = cpuSeconds(), time.Now()
	for i := 0; i < b.N; i++ {
		if _, p, err := DecodeForSize(j2k, 64); err != nil || p.W != 500 {
			b.Fatalf("%dx%d, %v", p.W, p.H, err)
		}
	}
	b.ReportMetric((cpuSeconds()-cpu0)/float64(b.N), "cpu-s/film@64")
	b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "films/s@64")
}

// cpuSeconds is the process's user plus system CPU time so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
