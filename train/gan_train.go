package train

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"image"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/raysynth/raysynth/internal/fsutil"
	"github.com/raysynth/raysynth/internal/imageio"
	"github.com/raysynth/raysynth/internal/nn"
	"github.com/raysynth/raysynth/internal/progress"
	"github.com/raysynth/raysynth/internal/workspace"
)

// File names under gan/<class>/.
const (
	CheckpointFile = "checkpoint.ckpt"
	SummaryFile    = "summary.json"
	LogFile        = "train-log.jsonl"
	LossPlotFile   = "loss.png"
	SamplesDir     = "samples"
)

// gridCount is the number of fixed-z samples in each sample grid (8×8).
const gridCount = 64

// ErrTooFewImages is wrapped by [TooFewImagesError].
var ErrTooFewImages = errors.New("too few training images")

// TooFewImagesError says a class has too few train images to train a generator on.
type TooFewImagesError struct {
	Class      string
	Have, Need int
}

func (e *TooFewImagesError) Error() string {
	return fmt.Sprintf("class %s has %d train images, needs at least %d", e.Class, e.Have, e.Need)
}
func (e *TooFewImagesError) Unwrap() error { return ErrTooFewImages }

// ErrCheckpointMismatch is returned when an existing checkpoint was made with other settings or
// another training set than the run asks for.
var ErrCheckpointMismatch = errors.New("checkpoint made with different settings")

// GANConfig configures [TrainGAN].
type GANConfig struct {
	Workspace       *workspace.Workspace
	Classes         []string // nil: every class of the workspace
	Epochs          int      // passes over a class's train images; 0 with Steps 0: DefaultSteps
	Steps           int      // D+G steps per class (instead of Epochs); 0: Epochs decides
	Batch           int      // images per step; a class with fewer train images uses all of them
	Size            int      // 0: the workspace's image size
	Recipe          Recipe   // zero value: the DefaultRecipe
	LR, Beta1       float64
	Seed            uint64
	CheckpointEvery int // epochs between checkpoints (one is always written at the end)
	SampleEvery     int // epochs between sample grids; 0: about five grids per run
	MinImages       int // classes with fewer train images are skipped and reported (at least 2)
	Restart         bool
	CodeVersion     string
	Log             *slog.Logger
	Progress        progress.Reporter
	DP              *DPConfig // nil: non-private training; see dp.go
	// Precision of the matrix products (FP32 unless set; see ResolvePrecision). A checkpoint
	// resumes only in the precision it was made in.
	Precision Precision
	// Init is how each class's generator starts: InitScratch ("" too: random weights) or
	// InitPooled (the weights of one generator trained first on every class's train films for
	// PooledSteps steps; see gan_pooled.go).
	Init        string
	PooledSteps int

	dHook GradHook // transforms D gradients before Adam (non-DP path; DP training has its own per-patient step, dp_step.go)
}

// Validate checks the configuration.
func (c GANConfig) Validate() error {
	var errs []error
	if c.Workspace == nil {
		errs = append(errs, errors.New("no workspace"))
	}
	if c.Epochs < 0 || c.Steps < 0 {
		errs = append(errs, fmt.Errorf("epochs %d, steps %d: want at least 1 (or neither, for the default step budget)", c.Epochs, c.Steps))
	}
	if c.Epochs > 0 && c.Steps > 0 {
		errs = append(errs, fmt.Errorf("epochs %d and steps %d: give one of them", c.Epochs, c.Steps))
	}
	if c.Batch < 2 {
		errs = append(errs, fmt.Errorf("batch %d: want at least 2", c.Batch))
	}
	if c.MinImages < 2 {
		errs = append(errs, fmt.Errorf("min-images %d: want at least 2", c.MinImages))
	}
	if c.Size != 0 {
		if err := DefaultArch(c.Size).Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if c.Recipe.Name != "" {
		if err := c.Recipe.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if !(c.LR > 0 && c.LR < 1) {
		errs = append(errs, fmt.Errorf("learning rate %g: want 0 < lr < 1", c.LR))
	}
	if !(c.Beta1 >= 0 && c.Beta1 < 1) {
		errs = append(errs, fmt.Errorf("beta1 %g: want 0 ≤ beta1 < 1", c.Beta1))
	}
	if c.CheckpointEvery < 1 {
		errs = append(errs, fmt.Errorf("checkpoint-every %d: want at least 1", c.CheckpointEvery))
	}
	if c.DP != nil {
		errs = append(errs, c.DP.Validate())
	}
	errs = append(errs, c.validateInit())
	return errors.Join(errs...)
}

// GANSummary is gan/<class>/summary.json; other stages read it as contract.GANSummary
// (internal/contract).
type GANSummary struct {
	Class            string          `json:"class"`
	Size             int             `json:"size"`
	Epochs           int             `json:"epochs"` // completed passes over the train images
	Steps            int64           `json:"steps"`  // D+G steps
	Batch            int             `json:"batch"`
	Recipe           Recipe          `json:"recipe"`
	Weights          string          `json:"sampled_weights"` // what synth samples: "last" or "ema"
	SampleCheck      *SampleCheck    `json:"sample_check,omitempty"`
	Warnings         []string        `json:"warnings,omitempty"`
	LR               float64         `json:"lr"`
	Beta1            float64         `json:"beta1"`
	Seed             uint64          `json:"seed"`
	Precision        string          `json:"precision"` // of the matrix products: fp32 or bf16
	CodeVersion      string          `json:"code_version"`
	TrainFingerprint string          `json:"train_fingerprint"`
	TrainImages      int             `json:"train_images"`
	TrainPatients    int             `json:"train_patients"`
	Checkpoint       string          `json:"checkpoint"`
	CheckpointSHA256 string          `json:"checkpoint_sha256"`
	Finished         string          `json:"finished"`
	DP               json.RawMessage `json:"dp"`
	// Init is where the weights started: nil for random weights, else the pooled generator
	// (trained on every class's train films) the class was fine-tuned from.
	Init *PooledInit `json:"init,omitempty"`
}

// GANClassResult reports one class.
type GANClassResult struct {
	Class         string       `json:"class"`
	Status        string       `json:"status"` // trained, resumed, up-to-date, skipped
	Reason        string       `json:"reason,omitempty"`
	TrainImages   int          `json:"train_images"`
	NeedImages    int          `json:"need_images,omitempty"`
	TrainPatients int          `json:"train_patients,omitempty"`
	Batch         int          `json:"batch,omitempty"`
	EpochsRun     int          `json:"epochs_run"`
	Steps         int64        `json:"steps"`        // D+G steps done in all (this run and before)
	TargetSteps   int64        `json:"target_steps"` // the run's step budget
	SampleCheck   *SampleCheck `json:"sample_check,omitempty"`
	Seconds       float64      `json:"seconds"`
	DLoss         float64      `json:"d_loss,omitempty"`
	GLoss         float64      `json:"g_loss,omitempty"`
	Warnings      []string     `json:"warnings,omitempty"`
	Grid          string       `json:"sample_grid,omitempty"`
	DP            *DPSummary   `json:"dp,omitempty"`
	LossPlot      string       `json:"loss_plot,omitempty"`
	Summary       *GANSummary  `json:"summary,omitempty"`
}

// GANResult reports a training run.
type GANResult struct {
	// Pooled is the generator trained on every class's train films that the classes start
	// from (Init InitPooled); nil otherwise.
	Pooled  *GANClassResult  `json:"pooled,omitempty"`
	Classes []GANClassResult `json:"classes"`
}

// Trained counts the classes that were trained (not skipped).
func (r *GANResult) Trained() int {
	n := 0
	for _, c := range r.Classes {
		if c.Status != "skipped" {
			n++
		}
	}
	return n
}

// classSeed derives a class's RNG seed from the run's seed.
func classSeed(seed uint64, class string) (uint64, uint64) {
	h := fnv.New64a()
	h.Write([]byte(class))
	return seed, h.Sum64()
}

// TrainGAN trains one DCGAN per class on the workspace's real train split, resuming from
// checkpoints, and writes gan/<class>/{checkpoint.ckpt, summary.json, train-log.jsonl, loss.png,
// samples/}.
func TrainGAN(ctx context.Context, cfg GANConfig) (*GANResult, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rep := progress.OrNop(cfg.Progress)
	w := cfg.Workspace
	meta, err := w.LoadMeta()
	if err != nil {
		return nil, err
	}
	rows, err := w.ReadRealIndex()
	if err != nil {
		return nil, err
	}
	if cfg.Recipe.Name == "" {
		if cfg.Recipe, err = RecipeByName(DefaultRecipe); err != nil {
			return nil, err
		}
	}
	if cfg.Size == 0 {
		cfg.Size = meta.ImageSize
		if err := DefaultArch(cfg.Size).Validate(); err != nil {
			return nil, fmt.Errorf("workspace image size: %w (give --size)", err)
		}
	}
	classes := cfg.Classes
	if len(classes) == 0 {
		classes = meta.Classes
	}
	for _, c := range classes {
		if !slices.Contains(meta.Classes, c) {
			return nil, fmt.Errorf("class %q is not in the workspace (classes: %s)", c, strings.Join(meta.Classes, ", "))
		}
	}
	res := &GANResult{}
	var init *PooledInit
	if cfg.Init == InitPooled {
		if res.Pooled, init, err = trainPooled(ctx, cfg, log, rep, rows); err != nil {
			return res, fmt.Errorf("train pooled GAN: %w", err)
		}
	}
	for i, class := range classes {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		job := ganJob{class: class, dir: w.GANDir(class), init: init}
		r, err := trainClass(ctx, cfg, log, progress.InPart(rep, "class", i+1, len(classes)), rows, job)
		if r != nil {
			res.Classes = append(res.Classes, *r)
		}
		if err != nil {
			return res, fmt.Errorf("train GAN %s: %w", class, err)
		}
	}
	return res, nil
}

// trainSet is a class's train images; films holds their pixels on disk (8-bit, read back as
// values in [-1, 1] one batch at a time) when the set was loaded.
type trainSet struct {
	ids         []string
	patientOf   []string // pseudonymous patient of each image
	films       *filmFile
	patients    int
	fingerprint string
}

// loadTrainSet selects a class's train images ("": every class's).
func loadTrainSet(w *workspace.Workspace, rows []workspace.RealImage, class string, size int, load bool) (*trainSet, error) {
	var sel []workspace.RealImage
	for _, r := range rows {
		if (class == "" || r.Class == class) && r.Split == workspace.SplitTrain {
			sel = append(sel, r)
		}
	}
	slices.SortFunc(sel, func(a, b workspace.RealImage) int { return strings.Compare(a.ID, b.ID) })
	h := sha256.New()
	pats := map[string]bool{}
	ts := &trainSet{}
	for _, r := range sel {
		fmt.Fprintf(h, "%s,%s,%s,%s,%s,%s\n", r.ID, r.Patient, r.Class, r.Split, r.SHA256, r.SourceKind)
		pats[r.Patient] = true
		ts.ids = append(ts.ids, r.ID)
		ts.patientOf = append(ts.patientOf, r.Patient)
	}
	ts.fingerprint = hex.EncodeToString(h.Sum(nil))
	ts.patients = len(pats)
	if !load {
		return ts, nil
	}
	films, err := newFilmFile(w.Dir, size*size)
	if err != nil {
		return nil, err
	}
	for _, r := range sel {
		img, err := imageio.ReadGray(w.RealImagePath(r.ID))
		if err == nil {
			if img, err = fitSize(img, size); err != nil {
				err = fmt.Errorf("%s: %w", w.RealImagePath(r.ID), err)
			}
		}
		if err == nil {
			err = films.add(img)
		}
		if err != nil {
			films.close()
			return nil, err
		}
	}
	if err := films.seal(); err != nil {
		films.close()
		return nil, err
	}
	ts.films = films
	return ts, nil
}

// fitSize returns img at size×size, averaging k×k blocks when the image is k times larger.
func fitSize(img *image.Gray, size int) (*image.Gray, error) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if w == size && h == size {
		return img, nil
	}
	if w != h || w < size || w%size != 0 {
		return nil, fmt.Errorf("image is %d×%d; training at %d×%d needs square images of a multiple of that size (use --size %d)", w, h, size, size, w)
	}
	k := w / size
	out := image.NewGray(image.Rect(0, 0, size, size))
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			var s int
			for dy := 0; dy < k; dy++ {
				row := img.Pix[(y*k+dy)*img.Stride+x*k:]
				for dx := 0; dx < k; dx++ {
					s += int(row[dx])
				}
			}
			out.Pix[y*size+x] = uint8((s + k*k/2) / (k * k))
		}
	}
	return out, nil
}

// ganJob is one generator to train: a class's, or the pooled one over every class.
type ganJob struct {
	class  string      // the class (the pooled generator: PooledName): its seeds and grid
	dir    string      // where its checkpoint, log, samples and summary go
	pooled bool        // trains on every class's train films, for PooledSteps steps
	init   *PooledInit // start from the pooled generator's weights; nil: random weights
}

func trainClass(ctx context.Context, cfg GANConfig, log *slog.Logger, rep progress.Reporter, rows []workspace.RealImage, job ganJob) (*GANClassResult, error) {
	w := cfg.Workspace
	class, dir := job.class, job.dir
	ckptPath := filepath.Join(dir, CheckpointFile)
	res := &GANClassResult{Class: class}
	start := time.Now()
	setClass, mismatch := class, ErrCheckpointMismatch
	if job.pooled {
		setClass, mismatch = "", ErrPooledMismatch
	}

	ts, err := loadTrainSet(w, rows, setClass, cfg.Size, false)
	if err != nil {
		return nil, err
	}
	n := len(ts.ids)
	res.TrainImages, res.TrainPatients = n, ts.patients
	if n < cfg.MinImages {
		e := &TooFewImagesError{Class: class, Have: n, Need: cfg.MinImages}
		res.Status, res.Reason, res.NeedImages = "skipped", e.Error(), cfg.MinImages
		log.Warn("class skipped: too few train images", "class", class, "images", n, "needed", cfg.MinImages)
		return res, nil
	}
	// A class smaller than the batch trains on all its images at every step.
	batch := min(cfg.Batch, n)
	res.Batch = batch

	want := ganMeta{Arch: DefaultArch(cfg.Size), Class: class, Batch: batch, LR: cfg.LR, Beta1: cfg.Beta1, Seed: cfg.Seed,
		TrainFingerprint: ts.fingerprint, TrainImages: n, TrainPatients: ts.patients, CodeVersion: cfg.CodeVersion, Recipe: cfg.Recipe,
		Precision: cfg.Precision.String(), Init: job.init}
	epochs, steps := cfg.Epochs, cfg.Steps
	if job.pooled {
		epochs, steps = 0, cfg.PooledSteps
	}
	if epochs == 0 && steps == 0 {
		if cfg.DP != nil {
			epochs = DefaultDPEpochs // DP: more steps at one ε means more noise per step
		} else {
			steps = DefaultSteps(n, batch)
		}
	}
	if cfg.DP != nil {
		if want.DP, err = newDPState(*cfg.DP, ts.patients, batch, epochs, steps); err != nil {
			return nil, err
		}
	}
	stepsPerEpoch := max(1, n/batch)
	if want.DP != nil {
		stepsPerEpoch = dpStepsPerEpoch(want.DP.SamplingRate)
	}
	target := int64(steps)
	if target == 0 {
		target = int64(epochs) * int64(stepsPerEpoch)
	}
	stepMode := steps > 0
	totalEpochs := int((target + int64(stepsPerEpoch) - 1) / int64(stepsPerEpoch))
	res.TargetSteps = target

	s1, s2 := classSeed(cfg.Seed, class)
	src := rand.NewPCG(s1, s2)
	rng := rand.New(src)
	var m *dcgan
	var ck *Checkpoint
	startEpoch := 0
	if cfg.Restart && !job.pooled { // the pooled generator is kept when it matches (trainPooled)
		if err := os.RemoveAll(dir); err != nil {
			return nil, fmt.Errorf("remove %s: %w", dir, err)
		}
	} else if c, _, err := ReadCheckpoint(ckptPath); err == nil {
		got, model, err := ganFromCheckpoint(c)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ckptPath, err)
		}
		if diff := metaDiff(got, want); diff != "" {
			return nil, fmt.Errorf("%s: %s: %w", ckptPath, diff, mismatch)
		}
		if err := src.UnmarshalBinary(got.RNG); err != nil {
			return nil, fmt.Errorf("%s: RNG state: %w", ckptPath, ErrBadCheckpoint)
		}
		m, ck, startEpoch = model, c, got.Epoch
		want.Steps, want.AdamDStep, want.AdamGStep = got.Steps, got.AdamDStep, got.AdamGStep
		if want.DP != nil { // keep counting: the recorded σ and phases
			want.DP.Noise, want.DP.Phases, want.DP.Exhausted = got.DP.Noise, got.DP.Phases, got.DP.Exhausted
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if m == nil && job.init != nil {
		if m, err = job.init.model(w, want.Arch); err != nil {
			return nil, err
		}
	} else if m == nil {
		m = newDCGAN(want.Arch, rng)
	}
	m.prec = cfg.Precision
	if _, err := fsutil.CleanTemp(dir); err != nil {
		return nil, err
	}
	var avg *ema
	if cfg.Recipe.EMADecay > 0 {
		avg = newEMA(cfg.Recipe.EMADecay, m)
		if ck != nil {
			if err := loadEMA(ck, m, avg); err != nil {
				return nil, fmt.Errorf("%s: %w", ckptPath, err)
			}
		}
	}

	var st *stepper
	var dps *dpStepper
	if want.DP != nil {
		if dps, err = newDPStepper(m, batch, cfg.LR, cfg.Beta1, cfg.Recipe, want.DP.Clip, cfg.DP.Workers); err != nil {
			return nil, err
		}
		defer dps.close()
		st = dps.stepper
	} else {
		if st, err = newStepper(m, batch, cfg.LR, cfg.Beta1, cfg.Recipe); err != nil {
			return nil, err
		}
		defer st.close()
	}
	st.dHook = cfg.dHook
	st.augment = func(p []nn.AugParams) { cfg.Recipe.drawAug(rng, cfg.Size, p) }
	if ck != nil {
		if err := restoreOptimisers(ck, want, m, st); err != nil {
			return nil, fmt.Errorf("%s: %w", ckptPath, err)
		}
	}
	sm, err := newSampler(m, gridCount)
	if err != nil {
		return nil, err
	}
	defer sm.m.Close()
	gridZ := fixedZ(cfg.Seed, class, gridCount)
	// sample makes the grid's images with the weights synth will sample.
	sampleEMA := cfg.Recipe.SampleEMA && avg != nil
	sample := func() ([]float32, error) {
		if !sampleEMA {
			return sm.run(gridZ)
		}
		avg.swap(m)
		defer avg.swap(m)
		return sm.run(gridZ)
	}

	logPath := filepath.Join(dir, LogFile)
	entries, err := readLog(logPath, startEpoch)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", logPath, err)
	}
	if err := os.MkdirAll(filepath.Join(dir, SamplesDir), 0o755); err != nil {
		return nil, err
	}
	if err := writeLog(logPath, entries); err != nil {
		return nil, err
	}

	exhausted := want.DP != nil && want.DP.Exhausted
	switch {
	case want.Steps >= target || exhausted:
		res.Status = "up-to-date"
		if exhausted {
			res.Reason = "privacy budget spent"
		}
	case startEpoch > 0:
		res.Status = "resumed"
	default:
		res.Status = "trained"
	}
	sampleEvery := cfg.SampleEvery
	if sampleEvery <= 0 {
		sampleEvery = max(1, totalEpochs/5)
	}
	pix := cfg.Size * cfg.Size

	if want.Steps < target && !exhausted {
		data, err := loadTrainSet(w, rows, setClass, cfg.Size, true)
		if err != nil {
			return nil, err
		}
		ts = data
		defer ts.films.close()
		var dr *dpRun
		if dps != nil {
			if dr, err = newDPRun(dps, want.DP, ts, cfg.Size, cfg.DP.seed); err != nil {
				return nil, err
			}
		}
		task := rep.Start("gan "+class, target-want.Steps, "steps")
		defer task.Done()
		logFile, err := os.OpenFile(logPath, os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, err
		}
		defer logFile.Close()
		// Step lines are flushed with their epoch's line: one write per epoch, not per step. A
		// crash loses at most the lines after the last checkpoint, which a resume drops anyway.
		logW := bufio.NewWriterSize(logFile, 64<<10)
		real := make([]float32, batch*pix)
		z := make([]float32, batch*ZDim)
		order := make([]int, n)
		var warned warnTally
		lastCkpt := want.Steps
		for epoch := startEpoch + 1; want.Steps < target; epoch++ {
			t0 := time.Now()
			for i := range order {
				order[i] = i
			}
			rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
			var dSum, gSum float64
			ran := 0
			for s := 0; s < stepsPerEpoch && want.Steps < target && !want.DP.exhausted(); s++ {
				if err := ctx.Err(); err != nil {
					return res, err
				}
				for i := range z {
					z[i] = float32(rng.NormFloat64())
				}
				var dl, gl float32
				if dr != nil {
					dl, gl, err = dr.step(z)
				} else {
					for k := 0; k < batch && err == nil; k++ {
						_, err = ts.films.Film(order[s*batch+k], real[k*pix:(k+1)*pix])
					}
					if err == nil {
						dl, gl, err = st.step(real, z)
					}
				}
				if err != nil {
					return res, err
				}
				ran++
				want.Steps++
				if avg != nil {
					avg.update(m, want.Steps)
				}
				dSum += float64(dl)
				gSum += float64(gl)
				e := logEntry{Type: "step", Epoch: epoch, Step: want.Steps, DLoss: float64(dl), GLoss: float64(gl)}
				b, _ := json.Marshal(e)
				logW.Write(append(b, '\n'))
				entries = append(entries, e)
				task.Add(1)
				task.Status(fmt.Sprintf("step %d/%d  D %.3f  G %.3f", want.Steps, target, dl, gl))
			}
			ep := logEntry{Type: "epoch", Epoch: epoch, Step: want.Steps, DLoss: dSum / float64(max(1, ran)), GLoss: gSum / float64(max(1, ran)), Seconds: time.Since(t0).Seconds()}
			res.DLoss, res.GLoss = ep.DLoss, ep.GLoss
			res.EpochsRun++
			last := want.Steps >= target || want.DP.exhausted()
			checkpoint := last || (epoch%cfg.CheckpointEvery == 0 && (!stepMode || want.Steps-lastCkpt >= minCheckpointSteps))
			if avg != nil && (checkpoint || (sampleEMA && (epoch%sampleEvery == 0 || last))) {
				if err := avg.recalibrate(st, cfg.Seed, want.Steps); err != nil {
					return res, err
				}
			}
			if epoch%sampleEvery == 0 || last {
				imgs, err := sample()
				if err != nil {
					return res, err
				}
				spread := sampleSpread(imgs, gridCount, pix)
				ep.Spread = &spread
				sc, err := checkSamples(imgs, gridCount, ts.films, pix)
				if err != nil {
					return res, err
				}
				res.SampleCheck = &sc
				ep.Warning = append(collapseWarnings(ep.DLoss, ep.GLoss, spread), sc.Warnings...)
				grid := filepath.Join(dir, SamplesDir, fmt.Sprintf("epoch-%03d.png", epoch))
				if _, err := imageio.WriteGray(grid, gridImage(imgs, gridCount, cfg.Size, 8)); err != nil {
					return res, err
				}
				res.Grid = grid
			} else {
				ep.Warning = collapseWarnings(ep.DLoss, ep.GLoss, math.Inf(1))
			}
			for _, wmsg := range ep.Warning {
				log.Warn("training may have collapsed", "class", class, "epoch", epoch, "warning", wmsg)
				warned.add(wmsg, epoch)
			}
			res.Warnings = warned.summary(res.EpochsRun)
			b, _ := json.Marshal(ep)
			logW.Write(append(b, '\n'))
			logW.Flush()
			entries = append(entries, ep)
			log.Info("epoch done", "class", class, "epoch", epoch, "step", want.Steps, "d_loss", ep.DLoss, "g_loss", ep.GLoss, "seconds", ep.Seconds)
			if checkpoint {
				want.Epoch = epoch
				c, err := ganCheckpoint(want, m, st, src, avg)
				if err != nil {
					return res, err
				}
				if _, err := WriteCheckpoint(ckptPath, c); err != nil {
					return res, err
				}
				lastCkpt = want.Steps
			}
			if want.DP.exhausted() {
				if want.Steps < target {
					res.Reason = fmt.Sprintf("privacy budget reached after %d DP steps (epoch %d of %d)", want.DP.steps(), epoch, totalEpochs)
				}
				log.Info("privacy budget reached: training stopped", "class", class, "epoch", epoch, "dp_steps", want.DP.steps())
				break
			}
		}
	}
	res.Steps = want.Steps

	// Finish: loss plot, summary.
	if err := lossPlot(filepath.Join(dir, LossPlotFile), class, entries); err != nil {
		return res, fmt.Errorf("loss plot: %w", err)
	}
	res.LossPlot = filepath.Join(dir, LossPlotFile)
	if res.Grid == "" {
		res.Grid = latestGrid(filepath.Join(dir, SamplesDir))
	}
	c, sha, err := ReadCheckpoint(ckptPath)
	if err != nil {
		return res, err
	}
	got, _, err := ganFromCheckpoint(c)
	if err != nil {
		return res, err
	}
	if got.Recipe.SampleEMA != cfg.Recipe.SampleEMA {
		// Only the choice of sampled weights changed: record it in the checkpoint.
		got.Recipe.SampleEMA = cfg.Recipe.SampleEMA
		if c.Meta, err = json.Marshal(got); err != nil {
			return res, err
		}
		if sha, err = WriteCheckpoint(ckptPath, c); err != nil {
			return res, err
		}
	}
	sum := &GANSummary{Class: class, Size: cfg.Size, Epochs: got.Epoch, Steps: got.Steps, Batch: batch, Recipe: cfg.Recipe,
		Weights: WeightsLast, LR: cfg.LR, Beta1: cfg.Beta1,
		Seed: cfg.Seed, Precision: recordedPrecision(got.Precision), CodeVersion: cfg.CodeVersion, TrainFingerprint: ts.fingerprint, TrainImages: n,
		TrainPatients: ts.patients, Checkpoint: CheckpointFile, CheckpointSHA256: sha, Init: got.Init}
	if sampleEMA {
		sum.Weights = WeightsEMA
	}
	sumPath := filepath.Join(dir, SummaryFile)
	old, oldErr := ReadGANSummary(sumPath)
	if res.SampleCheck == nil && oldErr == nil { // nothing trained in this run: keep the last check
		res.SampleCheck = old.SampleCheck
		if len(res.Warnings) == 0 {
			res.Warnings = old.Warnings
		}
	}
	sum.SampleCheck, sum.Warnings = res.SampleCheck, res.Warnings
	if sum.DP, res.DP, err = want.DP.summaryJSON(); err != nil {
		return res, err
	}
	if oldErr == nil && old.CheckpointSHA256 == sha {
		sum.Finished = old.Finished // unchanged model: keep the file as it is
	} else {
		sum.Finished = time.Now().UTC().Format(time.RFC3339)
	}
	b, _ := json.MarshalIndent(sum, "", "  ")
	if err := fsutil.WriteFile(sumPath, append(b, '\n'), 0o644); err != nil {
		return res, err
	}
	res.Summary = sum
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// minCheckpointSteps spaces checkpoints in step mode (--steps): a small class makes an epoch
// every few steps, and a 64×64 checkpoint with its optimiser state is about 25 MB, written with
// 30 generator passes that re-estimate the moving average's BatchNorm statistics. 500 steps are
// about a minute of training on two idle cores; 200 made checkpoints 2% of a 5,000-step run.
var minCheckpointSteps int64 = 500

// DefaultDPEpochs is the epoch count of differentially private training when neither epochs
// nor steps are given.
const DefaultDPEpochs = 25

// ReadGANSummary reads gan/<class>/summary.json.
func ReadGANSummary(path string) (*GANSummary, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s GANSummary
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	return &s, nil
}

// DecodeDP decodes the summary's "dp" object: nil for a generator trained without differential
// privacy.
func (s *GANSummary) DecodeDP() (*DPSummary, error) {
	if len(s.DP) == 0 || string(s.DP) == "null" {
		return nil, nil
	}
	var d DPSummary
	if err := json.Unmarshal(s.DP, &d); err != nil {
		return nil, fmt.Errorf("summary of class %s: dp: %w", s.Class, err)
	}
	return &d, nil
}

func latestGrid(dir string) string {
	m, _ := filepath.Glob(filepath.Join(dir, "epoch-*.png"))
	if len(m) == 0 {
		return ""
	}
	// by epoch number: epoch-1000.png sorts before epoch-800.png as text
	epoch := func(p string) int {
		n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(filepath.Base(p), "epoch-"), ".png"))
		return n
	}
	slices.SortFunc(m, func(a, b string) int { return epoch(a) - epoch(b) })
	return m[len(m)-1]
}

// metaDiff says how a checkpoint's settings differ from the run's, or "".
func metaDiff(got, want ganMeta) string {
	var d []string
	if got.Arch != want.Arch {
		d = append(d, fmt.Sprintf("size %d (run asks %d)", got.Arch.Size, want.Arch.Size))
	}
	if got.Batch != want.Batch {
		d = append(d, fmt.Sprintf("batch %d (run asks %d)", got.Batch, want.Batch))
	}
	if got.LR != want.LR || got.Beta1 != want.Beta1 {
		d = append(d, fmt.Sprintf("lr %g beta1 %g (run asks %g, %g)", got.LR, got.Beta1, want.LR, want.Beta1))
	}
	if got.Seed != want.Seed {
		d = append(d, fmt.Sprintf("seed %d (run asks %d)", got.Seed, want.Seed))
	}
	if got.Class != want.Class {
		d = append(d, fmt.Sprintf("class %s", got.Class))
	}
	if got.TrainFingerprint != want.TrainFingerprint {
		d = append(d, "the train split changed since it was made")
	}
	if !sameTraining(got.Recipe, want.Recipe) {
		d = append(d, fmt.Sprintf("recipe %s (run asks %s)", recipeLabel(got.Recipe), recipeLabel(want.Recipe)))
	}
	if g, w := recordedPrecision(got.Precision), recordedPrecision(want.Precision); g != w {
		d = append(d, fmt.Sprintf("precision %s (run asks %s)", g, w))
	}
	if s := dpDiff(got.DP, want.DP); s != "" {
		d = append(d, s)
	}
	if s := initDiff(got.Init, want.Init); s != "" {
		d = append(d, s)
	}
	if len(d) == 0 {
		return ""
	}
	return "checkpoint has " + strings.Join(d, ", ")
}

// warnTally keeps one entry per kind of warning (the text before its figures in parentheses):
// the latest message, in how many epochs it came up and the last of them, so that a run that
// collapses for 30 epochs says so once. There are at most three kinds, in first-seen order.
type warnTally []warnEntry

type warnEntry struct {
	kind, last   string
	count, epoch int
}

func (w *warnTally) add(msg string, epoch int) {
	kind, _, _ := strings.Cut(msg, " (")
	i := slices.IndexFunc(*w, func(e warnEntry) bool { return e.kind == kind })
	if i < 0 {
		*w = append(*w, warnEntry{kind: kind})
		i = len(*w) - 1
	}
	e := &(*w)[i]
	e.last, e.epoch = msg, epoch
	e.count++
}

// summary lists each kind once: "samples nearly identical (…): mode collapse; in 2 of 3 epochs
// run, last in epoch 3".
func (w warnTally) summary(epochsRun int) []string {
	var out []string
	for _, e := range w {
		out = append(out, fmt.Sprintf("%s; in %d of %d epochs run, last in epoch %d", e.last, e.count, epochsRun, e.epoch))
	}
	return out
}

// collapseWarnings flags the usual signs of a failed GAN run.
func collapseWarnings(dLoss, gLoss, spread float64) []string {
	var w []string
	if dLoss < 0.01 {
		w = append(w, fmt.Sprintf("discriminator loss near 0 (%.4f): it wins outright and the generator learns nothing", dLoss))
	}
	if gLoss > 15 {
		w = append(w, fmt.Sprintf("generator loss exploding (%.1f)", gLoss))
	}
	if spread < 0.02 {
		w = append(w, fmt.Sprintf("samples nearly identical (mean RMS difference %.4f): mode collapse", spread))
	}
	return w
}

// LatentZ fills z (n·ZDim) with the latent vectors of samples first … first+n-1 of a seed's stream:
// sample k's vector depends only on (seed, k).
func LatentZ(z []float32, seed uint64, first int64, n int) {
	for k := 0; k < n; k++ {
		r := rand.New(rand.NewPCG(seed, uint64(first+int64(k))))
		for i := 0; i < ZDim; i++ {
			z[k*ZDim+i] = float32(r.NormFloat64())
		}
	}
}

// fixedZ is the latent batch of a class's sample grids.
func fixedZ(seed uint64, class string, n int) []float32 {
	_, h := classSeed(seed, class)
	z := make([]float32, n*ZDim)
	LatentZ(z, seed^h^0x67726964, 0, n)
	return z
}
