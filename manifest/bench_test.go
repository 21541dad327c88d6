package manifest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/raysynth/raysynth/internal/bundletest"
)

// benchBundle is built once per test binary and removed by TestMain's caller (see cleanupBench).
var benchBundle struct {
	dir string
	key *PublicKey
}

var benchTemp string

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func cleanupBench() {
	if benchTemp != "" {
		os.RemoveAll(benchTemp)
	}
}

// BenchmarkVerify10k verifies a bundle of 10,000 64x64 images from a local folder, hashing on
// two workers (the goal: under 2 s on 2 cores). Run: go test -run XXX -bench Verify10k -benchtime 3x ./manifest
func BenchmarkVerify10k(b *testing.B) {
	if benchBundle.dir == "" {
		var err error
		benchTemp, err = os.MkdirTemp("", "raysynth-bench-")
		if err != nil {
			b.Fatal(err)
		}
		s := testSigner(b)
		var imgs []Image
		for i := range 10000 {
			class := []string{"normal", "cardiomegaly", "effusion", "edema", "pneumothorax"}[i%5]
			id := fmt.Sprintf("s-%05d", i)
			p := filepath.Join(benchTemp, "approved", class, id+".png")
			sum := bundletest.WritePNG(b, p, 64, uint64(i))
			imgs = append(imgs, Image{ID: id, Class: class, PNG: p, SHA256: sum, Generator: testCheckpointSHA, Seed: 1, Sample: int64(i)})
		}
		f := &fixture{dir: benchTemp, images: imgs}
		out := filepath.Join(benchTemp, "bundle")
		cfg := f.config(s, out)
		cfg.ImageSize = 64
		cfg.Generators = nil
		if _, err := Build(context.Background(), cfg); err != nil {
			b.Fatal(err)
		}
		benchBundle.dir, benchBundle.key = out, s.Public()
	}
	b.ResetTimer()
	cpu0 := cpuTime()
	for b.Loop() {
		res, err := Verify(context.Background(), DirSource(benchBundle.dir), VerifyOptions{Keys: []*PublicKey{benchBundle.key}, Workers: 2})
		if err != nil || res.Images != 10000 {
			b.Fatalf("%v %d", err, res.Images)
		}
	}
	b.ReportMetric(float64(runtime.GOMAXPROCS(0)), "procs")
	// CPU seconds per verify (user + system, whole process): on a shared, loaded machine the
	// wall time includes waiting for a core; this does not.
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
}
