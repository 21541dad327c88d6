package pipeline

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/raysynth/raysynth/ingest"
	"github.com/raysynth/raysynth/internal/blas"
	"github.com/raysynth/raysynth/internal/imageio"
	"github.com/raysynth/raysynth/internal/phantom"
	"github.com/raysynth/raysynth/internal/progress"
	"github.com/raysynth/raysynth/internal/sysinfo"
	"github.com/raysynth/raysynth/internal/workspace"
	"github.com/raysynth/raysynth/privacy"
	"github.com/raysynth/raysynth/train"
)

// ScaleConfig configures [BenchScale].
type ScaleConfig struct {
	// Images is the archive size: phantom films ingested, half of the patients held out, so the
	// privacy suite checks against about Images/2 training and Images/2 holdout references.
	Images int
	// Candidates is how many phantom films of other patients stand in for synthetic images.
	Candidates int
	Size       int    // image side in pixels (64)
	Dir        string // working folder; its films and workspace are removed afterwards unless Keep
	Keep       bool
	Seed       uint64
	Progress   progress.Reporter
	Log        *slog.Logger
}

// Validate checks the sizes.
func (c ScaleConfig) Validate() error {
	switch {
	case c.Images < 40:
		return fmt.Errorf("bench scale: %d images: want at least 40", c.Images)
	case c.Images > 1_000_000 || c.Candidates > 1_000_000:
		return fmt.Errorf("bench scale: %d images and %d candidates: at most 1,000,000 each", c.Images, c.Candidates)
	case c.Candidates < 2:
		return fmt.Errorf("bench scale: %d candidates: want at least 2", c.Candidates)
	case c.Size < 16 || c.Size > 1024:
		return fmt.Errorf("bench scale: size %d: want 16 to 1024", c.Size)
	case c.Dir == "":
		return errors.New("bench scale: no working folder")
	}
	return nil
}

// ScaleStage is one stage's figures.
type ScaleStage struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
	// CPUSeconds is the process's user plus system CPU time in the stage (both cores count).
	CPUSeconds float64 `json:"cpu_seconds"`
	// PeakRSSBytes is the stage's own peak resident memory: the peak is reset (and freed memory
	// returned) before each stage.
	PeakRSSBytes int64  `json:"peak_rss_bytes"`
	Items        int    `json:"items"`
	Unit         string `json:"unit"`
}

// ScaleResult holds the figures of [BenchScale].
type ScaleResult struct {
	Images     int          `json:"images"`
	Train      int          `json:"train"`
	Holdout    int          `json:"holdout"`
	Candidates int          `json:"candidates"`
	Size       int          `json:"size"`
	BLAS       string       `json:"blas"`
	BLASCore   string       `json:"blas_core"`
	GOMAXPROCS int          `json:"gomaxprocs"`
	Passed     bool         `json:"privacy_passed"`
	Stages     []ScaleStage `json:"stages"`
}

// BenchScale makes an archive of phantom films (no GAN), ingests it, runs the privacy suite
// against its train and holdout splits with phantom films of other patients as candidates, and
// trains the classifier for one epoch, timing each stage and measuring its peak memory.
func BenchScale(ctx context.Context, cfg ScaleConfig) (*ScaleResult, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, err
	}
	films, cands, wsDir := filepath.Join(cfg.Dir, "films"), filepath.Join(cfg.Dir, "candidates"), filepath.Join(cfg.Dir, "workspace")
	if !cfg.Keep {
		defer func() {
			for _, d := range []string{films, cands, wsDir} {
				os.RemoveAll(d)
			}
		}()
	}
	res := &ScaleResult{Images: cfg.Images, Candidates: cfg.Candidates, Size: cfg.Size, BLAS: blas.Backend(), BLASCore: blas.CoreType(), GOMAXPROCS: runtime.GOMAXPROCS(0)}
	stage := func(name, unit string, f func() (int, error)) error {
		sysinfo.ResetPeakRSS()
		log.Info("bench scale stage", "stage", name)
		t0, c0 := time.Now(), sysinfo.CPUTime()
		n, err := f()
		if err != nil {
			return fmt.Errorf("bench scale: %s: %w", name, err)
		}
		st := ScaleStage{Name: name, Seconds: time.Since(t0).Seconds(), CPUSeconds: (sysinfo.CPUTime() - c0).Seconds(), PeakRSSBytes: sysinfo.StagePeakRSS(), Items: n, Unit: unit}
		res.Stages = append(res.Stages, st)
		log.Info("bench scale stage done", "stage", name, "seconds", st.Seconds, "cpu_seconds", st.CPUSeconds, "peak_rss_bytes", st.PeakRSSBytes)
		return nil
	}
	err := stage("phantoms", "films", func() (int, error) {
		if err := makeArchive(ctx, films, cfg.Images, cfg.Size, cfg.Seed, 4); err != nil {
			return 0, err
		}
		if err := makeArchive(ctx, cands, cfg.Candidates, cfg.Size, cfg.Seed+1, 1); err != nil {
			return 0, err
		}
		return cfg.Images + cfg.Candidates, nil
	})
	if err != nil {
		return nil, err
	}
	os.RemoveAll(wsDir)
	err = stage("ingest", "films", func() (int, error) {
		rep, err := ingest.Run(ctx, ingest.Config{From: filepath.Join(films, "images"), Workspace: wsDir, Labels: filepath.Join(films, "labels.csv"),
			LabelsFormat: ingest.FormatAuto, LabelPolicy: ingest.PolicySingle, Size: cfg.Size, Aspect: imageio.AspectCrop, Holdout: 0.5, Seed: cfg.Seed, SeedSet: true,
			Workers: 2, Progress: cfg.Progress, Log: log})
		if err != nil {
			return 0, err
		}
		res.Train, res.Holdout = rep.Totals.Train, rep.Totals.Holdout
		return rep.Totals.Train + rep.Totals.Holdout, nil
	})
	if err != nil {
		return nil, err
	}
	ws, err := workspace.Open(wsDir)
	if err != nil {
		return nil, err
	}
	err = stage("privacy", "candidates", func() (int, error) {
		r, err := privacy.Run(ctx, privacy.Config{Workspace: ws, Policy: privacy.DefaultPolicy(), PolicySource: "default",
			CandidatesDir: filepath.Join(cands, "images"), Progress: cfg.Progress, Log: log})
		if err != nil {
			return 0, err
		}
		res.Passed = r.Passed
		return cfg.Candidates, nil
	})
	if err != nil {
		return nil, err
	}
	err = stage("classifier epoch", "films", func() (int, error) {
		s, err := train.TrainClassifier(ctx, train.ClassifierConfig{Workspace: ws, Epochs: 1, Batch: train.DefaultClassifierBatch,
			LR: train.DefaultClassifierLR, Seed: cfg.Seed, Progress: cfg.Progress, Log: log})
		if err != nil {
			return 0, err
		}
		n := 0
		for _, c := range s.TrainReal {
			n += c
		}
		return n, nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// archivePool is how many phantom films [makeArchive] renders; every film it writes is one of
// them moved, rescaled in contrast and brightness, and given fresh noise.
const archivePool = 600

// makeArchive writes n phantom-like films to dir/images and dir/labels.csv (file,label,patient),
// 1 to maxFilms per patient, fast: rendering a phantom film takes milliseconds, so a pool of
// rendered films (per class, in the phantom's default mix) is varied per patient and per film by
// a shift of up to 3 pixels, a linear change of contrast and brightness and Gaussian noise. It
// is an archive for timing and memory, not a data set: films of different patients may share a
// pool film.
func makeArchive(ctx context.Context, dir string, n, size int, seed uint64, maxFilms int) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	img := filepath.Join(dir, "images")
	if err := os.MkdirAll(img, 0o755); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(seed, 0x61726368))
	mix := phantom.DefaultMix()
	classes := slices.Sorted(maps.Keys(mix))
	type base struct {
		class string
		px    []uint8
	}
	var pool []base
	for _, c := range classes {
		k := max(1, int(math.Round(mix[c]*archivePool)))
		films, err := phantom.Sample(c, k, size, rng.Uint64())
		if err != nil {
			return err
		}
		for _, f := range films {
			pool = append(pool, base{c, f.Pix})
		}
	}
	// the films: patient p has 1..maxFilms films of one pool film
	type film struct {
		name, class, patient string
		base                 int
		seed                 uint64
	}
	var list []film
	for p := 0; len(list) < n; p++ {
		b := rng.IntN(len(pool))
		k := 1 + rng.IntN(maxFilms)
		for j := 0; j < k && len(list) < n; j++ {
			list = append(list, film{fmt.Sprintf("p%06d_%02d.png", p, j), pool[b].class, fmt.Sprintf("p%06d", p), b, rng.Uint64()})
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g := image.NewGray(image.Rect(0, 0, size, size))
			for i := w; i < len(list); i += 2 {
				if i%512 == w && ctx.Err() != nil {
					errs[w] = ctx.Err()
					return
				}
				f := list[i]
				r := rand.New(rand.NewPCG(f.seed, 1))
				src := pool[f.base].px
				dx, dy := r.IntN(7)-3, r.IntN(7)-3
				a, c := 0.85+0.3*r.Float64(), 20*r.Float64()-10
				for y := range size {
					sy := min(max(y+dy, 0), size-1)
					for x := range size {
						sx := min(max(x+dx, 0), size-1)
						v := a*float64(src[sy*size+sx]) + c + 3*r.NormFloat64()
						g.Pix[y*size+x] = uint8(min(255, max(0, math.Round(v))))
					}
				}
				b, err := imageio.EncodePNG(g)
				if err == nil {
					err = os.WriteFile(filepath.Join(img, f.name), b, 0o644)
				}
				if err != nil {
					errs[w] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	var csv strings.Builder
	csv.WriteString("file,label,patient\n")
	for _, f := range list {
		fmt.Fprintf(&csv, "%s,%s,%s\n", f.name, f.class, f.patient)
	}
	return os.WriteFile(filepath.Join(dir, "labels.csv"), []byte(csv.String()), 0o644)
}
