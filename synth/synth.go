package synth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/raysynth/raysynth/internal/fsutil"
	"github.com/raysynth/raysynth/internal/imageio"
	"github.com/raysynth/raysynth/internal/progress"
	"github.com/raysynth/raysynth/internal/workspace"
	"github.com/raysynth/raysynth/train"
)

// Output formats.
const (
	FormatPNG   = "png"
	FormatDICOM = "dicom"
	FormatBoth  = "both"
)

// ErrNoGenerator is returned when a class that needs images has no trained generator.
var ErrNoGenerator = errors.New("no trained generator")

// Config configures [Run].
type Config struct {
	Workspace *workspace.Workspace
	Classes   []string // nil: every class of the workspace
	PerClass  int      // images per class; 0 with Balance
	Balance   bool     // top every class up to the train count of the largest one
	// MaxPerReal, when above 0, caps every class at this many images per train image of the
	// class (rounded down), after PerClass or Balance: a generator trained on few films leaks
	// more about them the more of its images are released (see docs/privacy.md).
	MaxPerReal float64
	Format     string // png, dicom or both; a PNG is always written (the index points at it), dicom and both add a .dcm copy
	Seed       uint64
	Batch      int // images per generator pass (default 64)
	// Precision of the generators' matrix products (FP32 unless set). The same checkpoints,
	// seed and precision give byte-identical images; bf16 and fp32 images of the same sample
	// differ by about a gray level here and there.
	Precision   train.Precision
	CodeVersion string
	Log         *slog.Logger
	Progress    progress.Reporter
}

// Validate checks the configuration.
func (c Config) Validate() error {
	var errs []error
	if c.Workspace == nil {
		errs = append(errs, errors.New("no workspace"))
	}
	if c.Balance == (c.PerClass > 0) {
		errs = append(errs, errors.New("give either a per-class count or balance, not both and not neither"))
	}
	if c.PerClass < 0 {
		errs = append(errs, fmt.Errorf("per-class count %d is negative", c.PerClass))
	}
	if c.MaxPerReal < 0 || math.IsNaN(c.MaxPerReal) || math.IsInf(c.MaxPerReal, 0) {
		errs = append(errs, fmt.Errorf("images per train image %v: want a number of at least 0 (0: no cap)", c.MaxPerReal))
	}
	switch c.Format {
	case FormatPNG, FormatDICOM, FormatBoth:
	default:
		errs = append(errs, fmt.Errorf("format %q: want png, dicom or both", c.Format))
	}
	return errors.Join(errs...)
}

// ClassResult reports one class.
type ClassResult struct {
	Class      string `json:"class"`
	TrainCount int    `json:"train_images"`
	Generated  int    `json:"generated"`
	Generator  string `json:"generator,omitempty"` // checkpoint sha256
	Skipped    string `json:"skipped,omitempty"`   // why a class that needed images got none
}

// Result reports a run.
type Result struct {
	Index     string        `json:"index"`
	Seed      uint64        `json:"seed"`
	Precision string        `json:"precision"`
	Total     int           `json:"total"`
	Classes   []ClassResult `json:"classes"`
}

// Targets returns how many images each class gets: PerClass each, or (Balance) the difference
// between the largest class's train count and the class's own; with maxPerReal above 0, at most
// maxPerReal images per train image of the class (rounded down).
func Targets(counts map[string]int, classes []string, perClass int, balance bool, maxPerReal float64) map[string]int {
	out := map[string]int{}
	most := 0
	for _, c := range classes {
		most = max(most, counts[c])
	}
	for _, c := range classes {
		if balance {
			out[c] = most - counts[c]
		} else {
			out[c] = perClass
		}
		if maxPerReal > 0 {
			out[c] = min(out[c], int(maxPerReal*float64(counts[c])))
		}
	}
	return out
}

// Run samples each class's trained generator in eval mode and writes synth/candidates/<class>/
// <id>.png (and .dcm) and synth/index.csv. The whole synth/ folder is built aside and swapped in
// when complete; the same checkpoints and seed give byte-identical files.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rep := progress.OrNop(cfg.Progress)
	batch := cfg.Batch
	if batch <= 0 {
		batch = 64
	}
	w := cfg.Workspace
	meta, err := w.LoadMeta()
	if err != nil {
		return nil, err
	}
	classes := cfg.Classes
	if len(classes) == 0 {
		classes = meta.Classes
	}
	rows, err := w.ReadRealIndex()
	if err != nil {
		return nil, err
	}
	counts := map[string]int{}
	for _, r := range rows {
		if r.Split == workspace.SplitTrain {
			counts[r.Class]++
		}
	}
	for _, c := range classes {
		if !slices.Contains(meta.Classes, c) {
			return nil, fmt.Errorf("class %q is not in the workspace (classes: %s)", c, strings.Join(meta.Classes, ", "))
		}
	}
	targets := Targets(counts, classes, cfg.PerClass, cfg.Balance, cfg.MaxPerReal)
	skipped := map[string]string{}
	for _, c := range classes {
		if targets[c] == 0 {
			continue
		}
		p := filepath.Join(w.GANDir(c), train.CheckpointFile)
		if _, err := os.Stat(p); err != nil {
			// Balancing every class: a class train gan left out (too few train images) is
			// reported, not fatal. A class asked for by name must have its generator.
			if cfg.Balance && len(cfg.Classes) == 0 {
				skipped[c] = fmt.Sprintf("no trained generator (%d train images; train gan skips classes below its --min-images)", counts[c])
				log.Warn("class skipped: no trained generator", "class", c, "train_images", counts[c], "needed", targets[c])
				continue
			}
			return nil, fmt.Errorf("class %s needs %d images: %w at %s (run raysynth train gan --classes %s)", c, targets[c], ErrNoGenerator, p, c)
		}
	}

	final := w.Path("synth")
	tmp, err := fsutil.TempDir(final)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	res := &Result{Index: w.CandidatesIndexPath(), Seed: cfg.Seed, Precision: cfg.Precision.String()}
	var index []workspace.SynthImage
	for _, c := range classes {
		cr := ClassResult{Class: c, TrainCount: counts[c], Skipped: skipped[c]}
		if n := targets[c]; n > 0 && cr.Skipped == "" {
			imgs, gen, err := generateClass(ctx, cfg, w, c, n, batch, tmp, rep)
			if err != nil {
				return nil, err
			}
			index = append(index, imgs...)
			cr.Generated, cr.Generator = len(imgs), gen
			log.Info("class generated", "class", c, "images", len(imgs))
		}
		res.Classes = append(res.Classes, cr)
		res.Total += cr.Generated
	}
	if err := workspace.WriteSynthIndex(filepath.Join(tmp, "index.csv"), index); err != nil {
		return nil, err
	}
	if err := fsutil.CommitDir(tmp, final, true); err != nil {
		return nil, err
	}
	return res, nil
}

func generateClass(ctx context.Context, cfg Config, w *workspace.Workspace, class string, n, batch int, tmp string, rep progress.Reporter) ([]workspace.SynthImage, string, error) {
	g, err := train.LoadGenerator(filepath.Join(w.GANDir(class), train.CheckpointFile), batch)
	if err != nil {
		return nil, "", fmt.Errorf("load generator of %s: %w", class, err)
	}
	defer g.Close()
	if err := g.SetPrecision(cfg.Precision); err != nil {
		return nil, "", err
	}
	task := rep.Start("synth "+class, int64(n), "images")
	defer task.Done()
	dir := filepath.Join(tmp, "candidates", class)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, "", err
	}
	var out []workspace.SynthImage
	for first := 0; first < n; first += batch {
		k := min(batch, n-first)
		imgs, err := g.Generate(ctx, k, cfg.Seed, int64(first))
		if err != nil {
			return nil, "", err
		}
		for i, v := range imgs {
			sample := int64(first + i)
			h := sha256.Sum256([]byte(fmt.Sprintf("%s\x00%d\x00%d", g.SHA256, cfg.Seed, sample)))
			id := "s-" + hex.EncodeToString(h[:8])
			img := imageio.FromFloat(v, g.Size, g.Size)
			row := workspace.SynthImage{ID: id, Class: class, Generator: g.SHA256, Seed: cfg.Seed, Sample: sample}
			{ // always a PNG: the index, the privacy checks and bundles read it (workspace.SynthImage.File)
				b, err := imageio.EncodePNG(img)
				if err != nil {
					return nil, "", err
				}
				if err := os.WriteFile(filepath.Join(dir, id+".png"), b, 0o644); err != nil {
					return nil, "", err
				}
				sum := sha256.Sum256(b)
				row.File = path.Join("candidates", class, id+".png")
				row.SHA256 = hex.EncodeToString(sum[:])
			}
			if cfg.Format == FormatDICOM || cfg.Format == FormatBoth {
				b, err := encodeDICOM(img, dicomMeta{ID: id, Class: class, Generator: g.SHA256, CodeVersion: cfg.CodeVersion, Seed: cfg.Seed, Sample: sample})
				if err != nil {
					return nil, "", err
				}
				if err := os.WriteFile(filepath.Join(dir, id+".dcm"), b, 0o644); err != nil {
					return nil, "", err
				}
				row.DICOM = path.Join("candidates", class, id+".dcm")
			}
			out = append(out, row)
			task.Add(1)
		}
	}
	return out, g.SHA256, nil
}
