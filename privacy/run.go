package privacy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/raysynth/raysynth/internal/dicomio"
	"github.com/raysynth/raysynth/internal/fsutil"
	"github.com/raysynth/raysynth/internal/imageio"
	"github.com/raysynth/raysynth/internal/progress"
	"github.com/raysynth/raysynth/internal/workspace"
)

// Config configures [Run].
type Config struct {
	Workspace *workspace.Workspace
	Policy    Policy
	// PolicySource names where the policy came from ("default" or a file name) and PolicySHA256
	// is the hash of its bytes; both go into the reports.
	PolicySource, PolicySHA256 string
	Embedders                  []Embedder // learned embeddings besides pixels
	// CandidatesDir, when set, checks the PNG (or DICOM) images under it instead of the
	// workspace's synth/index.csv; a first-level folder named after a class gives the class.
	CandidatesDir string
	// Filter removes flagged candidates and asks Generator for replacements, at most MaxRounds
	// times (privacy-enhancing sampling).
	Filter    bool
	Generator Generator
	MaxRounds int
	// MaxSuspicious is how many of the most suspicious synthetic images the HTML report shows.
	MaxSuspicious int
	Progress      progress.Reporter
	Log           *slog.Logger
	Now           func() time.Time // for tests; default time.Now
	CodeVersion   string
	// Shard, when set (N > 0), runs only this shard's part of the searches and writes it to
	// ShardDir (default WORKSPACE/privacy/shards/I-of-N) instead of checking anything.
	Shard    Shard
	ShardDir string
	// BlockRefs is the search's block of references, the unit shards split (0: 2048); every
	// shard and the merge must use the same.
	BlockRefs int
	// Merge, when set, takes the searches from these shard folders (every shard of one split,
	// made from the same inputs) and checks and reports as one run over everything would.
	Merge []string
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	if c.Workspace == nil {
		return errors.New("privacy: no workspace")
	}
	if err := c.Policy.Validate(); err != nil {
		return err
	}
	if c.Filter && c.Generator == nil {
		return errors.New("privacy: --filter needs a generator")
	}
	if c.Filter && c.CandidatesDir != "" {
		return errors.New("privacy: --filter regenerates with the workspace's generators and cannot be used with --candidates")
	}
	if c.Shard != (Shard{}) && !c.Shard.Valid() {
		return fmt.Errorf("privacy: shard %s: want i/n with 1 ≤ i ≤ n", c.Shard)
	}
	if c.Shard.N > 0 && len(c.Merge) > 0 {
		return errors.New("privacy: a run is either one shard or the merge of the shards, not both")
	}
	if c.Filter && (c.Shard.N > 0 || len(c.Merge) > 0) {
		return errors.New("privacy: --filter checks again after each replacement round and cannot be sharded")
	}
	if c.BlockRefs < 0 {
		return fmt.Errorf("privacy: block of %d references", c.BlockRefs)
	}
	if c.MaxRounds < 0 {
		return fmt.Errorf("privacy: max rounds %d < 0", c.MaxRounds)
	}
	return nil
}

// Result is what [Run] returns.
type Result struct {
	Passed       bool
	Failed       []Check
	Flagged      []string // ids of synthetic images a memorization check flagged in the final set
	Summary      *Summary
	ReportPath   string
	HTMLPath     string
	SummaryPath  string
	ApprovedPath string // approved/index.csv, or "" when nothing was approved
	// CheckedPath is privacy/checked/index.csv when the gate failed: the checked candidates minus
	// every flagged image, which only `bundle --override-privacy-gate` releases; Checked counts them.
	CheckedPath string
	Checked     int
	Seconds     float64
	// ShardDir is where a shard run (Config.Shard) wrote its part; nothing else is set then.
	ShardDir string
}

// ErrCandidates is wrapped when the candidate images cannot be used.
var ErrCandidates = errors.New("bad synthetic candidates")

// ErrAllFlagged is wrapped when filtering removed every candidate: the gate cannot pass and
// nothing is approved. It is a failed gate: errors.Is(err, ErrGateFailed) holds too.
var ErrAllFlagged = allFlaggedError{}

type allFlaggedError struct{}

func (allFlaggedError) Error() string        { return "every candidate was flagged" }
func (allFlaggedError) Is(target error) bool { return target == ErrGateFailed }

// ErrGateFailed is wrapped by [GateError] and [ErrAllFlagged]: the privacy gate did not pass and
// nothing was approved.
var ErrGateFailed = errors.New("privacy gate failed")

// GateError is the error of a failed gate, with the checks that failed ([Result.Err] returns it).
type GateError struct {
	Failed     []Check
	ReportPath string // the private report that explains them
}

func (e *GateError) Error() string {
	return fmt.Sprintf("%s: %d check(s) failed; nothing was approved; report %s", ErrGateFailed, len(e.Failed), e.ReportPath)
}

func (e *GateError) Unwrap() error { return ErrGateFailed }

// Err is nil when the gate passed, else a [*GateError] naming the failed checks.
func (r *Result) Err() error {
	if r.Passed {
		return nil
	}
	return &GateError{Failed: r.Failed, ReportPath: r.ReportPath}
}

// Run checks the workspace's synthetic candidates (or the images in CandidatesDir) against its
// real train and holdout images, optionally filters and regenerates, writes the private report
// (report.json, report.html) and the public summary (summary.json) under privacy/, and the
// checked candidates minus every flagged image: under approved/ when the gate passes; when it
// fails, under privacy/checked/ (for an override) with any approved/ of an earlier run removed. A
// failed gate is not an error: Result.Passed is false.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	start := time.Now()
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ws := cfg.Workspace
	meta, err := ws.LoadMeta()
	if err != nil {
		return nil, err
	}
	realIdx, err := ws.ReadRealIndex()
	if err != nil {
		return nil, err
	}
	train, holdout, err := loadReal(ctx, ws, realIdx, meta.ImageSize)
	if err != nil {
		return nil, err
	}
	in := inputs{Policy: cfg.Policy, PolicySource: cfg.PolicySource, PolicySHA256: cfg.PolicySHA256,
		ImageSize: meta.ImageSize, Seed: meta.Seed}
	in.RealIndexSHA256, _ = fileSHA(ws.RealIndexPath())
	in.Train, in.Holdout = len(train), len(holdout)
	in.TrainPatients, in.HoldoutPatients = countPatients(train), countPatients(holdout)

	var cands []candidate
	if cfg.CandidatesDir != "" {
		cands, err = loadCandidateDir(ctx, cfg.CandidatesDir, meta)
		in.CandidatesSource = "folder"
	} else {
		cands, err = loadCandidateIndex(ctx, ws, meta.ImageSize)
		in.CandidatesSource = "workspace"
		in.CandidatesIndexSHA256, _ = fileSHA(ws.CandidatesIndexPath())
	}
	if err != nil {
		return nil, err
	}
	in.Candidates = len(cands)
	target := map[string]int{}
	for _, c := range cands {
		target[c.row.Class]++
	}

	ecfg := EvalConfig{Policy: cfg.Policy, Embedders: cfg.Embedders, Seed: meta.Seed, BlockRefs: cfg.BlockRefs, Progress: cfg.Progress, Log: log}
	evaluateSet := func(cs []candidate) (*Evaluation, error) {
		return Evaluate(ctx, Sets{Size: meta.ImageSize, Synthetic: samples(cs), Train: train, Holdout: holdout}, ecfg)
	}
	var sh *sharding
	if cfg.Shard.N > 0 || len(cfg.Merge) > 0 {
		fp := fingerprint(in, cands, cfg)
		if cfg.Shard.N > 0 {
			sh = &sharding{shard: cfg.Shard, searches: map[string]*shardLists{}}
			if _, err := evaluate(ctx, Sets{Size: meta.ImageSize, Synthetic: samples(cands), Train: train, Holdout: holdout}, ecfg, sh); err != nil {
				return nil, err
			}
			dir := cfg.ShardDir
			if dir == "" {
				dir = filepath.Join(filepath.Dir(ws.PrivacyReportPath()), "shards", fmt.Sprintf("%d-of-%d", cfg.Shard.I, cfg.Shard.N))
			}
			if err := writeShard(dir, &shardData{Format: shardFormat, Shard: cfg.Shard, Fingerprint: fp, Searches: sh.searches}); err != nil {
				return nil, err
			}
			log.Info("privacy shard", "shard", cfg.Shard.String(), "dir", dir, "seconds", time.Since(start).Seconds())
			return &Result{ShardDir: dir, Seconds: time.Since(start).Seconds()}, nil
		}
		merged, err := mergeShards(cfg.Merge, fp)
		if err != nil {
			return nil, err
		}
		sh = &sharding{searches: merged}
	}
	ev, err := evaluate(ctx, Sets{Size: meta.ImageSize, Synthetic: samples(cands), Train: train, Holdout: holdout}, ecfg, sh)
	if err != nil {
		return nil, err
	}
	var filt *FilterRecord
	final := cands
	if cfg.Filter {
		filt = &FilterRecord{MaxRounds: cfg.MaxRounds, Target: target}
		firstEval := ev
		final, ev, err = filterLoop(ctx, cfg, cands, ev, evaluateSet, filt, log)
		if err != nil {
			return nil, err
		}
		if len(firstEval.Flagged) == 0 {
			filt.Note = "no candidate was flagged"
		}
	}
	embNames := []string{EmbeddingPixel}
	for _, e := range cfg.Embedders {
		embNames = append(embNames, e.Name())
	}
	res := &Result{Passed: ev.Passed, Flagged: ev.Flagged, ReportPath: ws.PrivacyReportPath(), HTMLPath: ws.PrivacyHTMLPath(), SummaryPath: ws.PrivacySummaryPath()}
	for _, c := range ev.Checks {
		if !c.Passed {
			res.Failed = append(res.Failed, c)
		}
	}
	// The checked set minus every flagged image: approved/ when the gate passed (max_flagged may
	// allow some flagged images: they stay out all the same); when it failed, privacy/checked/,
	// the only set an override may release, and no approved/ (a stale one from an earlier passing
	// run would otherwise be released with this run's failing report).
	var keep []candidate
	flagged := map[string]bool{}
	for _, id := range ev.Flagged {
		flagged[id] = true
	}
	for _, c := range final {
		if !flagged[c.row.ID] {
			keep = append(keep, c)
		}
	}
	approved := 0
	if ev.Passed {
		if err := removeSet(ws.CheckedIndexPath(), ws.CheckedDir()); err != nil {
			return nil, err
		}
		if err := writeSet(ctx, keep, ws.ApprovedDir(), ws.ApprovedIndexPath()); err != nil {
			return nil, err
		}
		approved = len(keep)
		res.ApprovedPath = ws.ApprovedIndexPath()
	} else {
		if err := removeSet(ws.ApprovedIndexPath(), ws.ApprovedDir()); err != nil {
			return nil, err
		}
		if err := writeSet(ctx, keep, ws.CheckedDir(), ws.CheckedIndexPath()); err != nil {
			return nil, err
		}
		res.CheckedPath = ws.CheckedIndexPath()
		res.Checked = len(keep)
	}
	sum := newSummary(ev, cfg.Policy, embNames, len(cands), approved, filt, final)
	if cfg.CandidatesDir == "" {
		sum.CollapseCheck = readCollapseChecks(ws, slices.Collect(maps.Keys(target)))
	}
	res.Summary = sum
	res.Seconds = time.Since(start).Seconds()
	rep := &Report{Private: privateNotice, Created: now().UTC().Format(time.RFC3339), CodeVersion: cfg.CodeVersion,
		Inputs: in, Summary: sum, Evaluation: ev, Filter: filt, Seconds: res.Seconds}
	if err := writeReports(ws, rep, ev, final, train, cfg.MaxSuspicious); err != nil {
		return nil, err
	}
	log.Info("privacy gate", "passed", ev.Passed, "failed_checks", len(res.Failed), "candidates", len(cands), "approved", approved, "seconds", res.Seconds)
	return res, nil
}

// fingerprint identifies what a sharded run checks: the inputs recorded in the report, every
// candidate, the embeddings and the code version. Shards made from anything else do not merge.
func fingerprint(in inputs, cands []candidate, cfg Config) string {
	h := sha256.New()
	b, _ := json.Marshal(in)
	h.Write(b)
	for _, c := range cands {
		fmt.Fprintf(h, "\x00%s\x00%s\x00%x", c.row.ID, c.row.Class, sha256.Sum256(c.img.Pix))
	}
	for _, e := range cfg.Embedders {
		fmt.Fprintf(h, "\x00embedding %s", e.Name())
	}
	fmt.Fprintf(h, "\x00%s\x00%d", cfg.CodeVersion, cfg.BlockRefs)
	return hex.EncodeToString(h.Sum(nil))
}

// candidate is one synthetic image being checked.
type candidate struct {
	row workspace.SynthImage
	img *image.Gray
}

func samples(cs []candidate) []Sample {
	out := make([]Sample, len(cs))
	for i, c := range cs {
		out[i] = Sample{ID: c.row.ID, Class: c.row.Class, Gray: grayPix(c.img)}
	}
	return out
}

// parallel runs f(i) for i in [0, n) on a few goroutines and returns the first error.
func parallel(ctx context.Context, n int, f func(i int) error) error {
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 4 {
				if i%256 == w && ctx.Err() != nil {
					errs[w] = ctx.Err()
					return
				}
				if err := f(i); err != nil {
					errs[w] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// grayPix returns an image's 8-bit pixels, row after row with no padding: the form
// [Sample.Gray] holds (a quarter of the memory of float32 pixels, with the same results).
func grayPix(g *image.Gray) []uint8 {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	if g.Stride == w && len(g.Pix) >= w*h {
		return g.Pix[: w*h : w*h]
	}
	out := make([]uint8, 0, w*h)
	for y := range h {
		out = append(out, g.Pix[y*g.Stride:y*g.Stride+w]...)
	}
	return out
}

func loadReal(ctx context.Context, ws *workspace.Workspace, idx []workspace.RealImage, size int) (train, holdout []Sample, err error) {
	out := make([]Sample, len(idx))
	err = parallel(ctx, len(idx), func(i int) error {
		r := idx[i]
		g, err := imageio.ReadGray(ws.RealImagePath(r.ID))
		if err != nil {
			return fmt.Errorf("real image %s: %w (run raysynth ingest again)", r.ID, err)
		}
		if g.Rect.Dx() != size || g.Rect.Dy() != size {
			return fmt.Errorf("real image %s is %dx%d, the workspace says %d (run raysynth ingest again)", r.ID, g.Rect.Dx(), g.Rect.Dy(), size)
		}
		out[i] = Sample{ID: r.ID, Class: r.Class, Patient: r.Patient, Gray: grayPix(g)}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	for i, r := range idx {
		switch r.Split {
		case workspace.SplitTrain:
			train = append(train, out[i])
		case workspace.SplitHoldout:
			holdout = append(holdout, out[i])
		}
	}
	return train, holdout, nil
}

func loadCandidateIndex(ctx context.Context, ws *workspace.Workspace, size int) ([]candidate, error) {
	rows, err := workspace.ReadSynthIndex(ws.CandidatesIndexPath())
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s missing (run raysynth synth first, or check a folder with --candidates)", ErrCandidates, ws.CandidatesIndexPath())
		}
		return nil, fmt.Errorf("%w: %w", ErrCandidates, err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%w: %s lists no image", ErrCandidates, ws.CandidatesIndexPath())
	}
	out := make([]candidate, len(rows))
	base := filepath.Dir(ws.CandidatesIndexPath())
	err = parallel(ctx, len(rows), func(i int) error {
		r := rows[i]
		if !filepath.IsLocal(filepath.FromSlash(r.File)) {
			return fmt.Errorf("%w: %s: file %q is outside the synth folder", ErrCandidates, ws.CandidatesIndexPath(), r.File)
		}
		p := filepath.Join(base, filepath.FromSlash(r.File))
		g, err := imageio.ReadGray(p)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrCandidates, err)
		}
		if g.Rect.Dx() != size || g.Rect.Dy() != size {
			return fmt.Errorf("%w: %s is %dx%d, the workspace's images are %d (make candidates at the workspace size)", ErrCandidates, p, g.Rect.Dx(), g.Rect.Dy(), size)
		}
		out[i] = candidate{row: r, img: g}
		return nil
	})
	return out, err
}

// loadCandidateDir reads every PNG, JPEG or DICOM file under dir, resized like the workspace's
// real images (central square, area-averaging downscale).
func loadCandidateDir(ctx context.Context, dir string, meta workspace.Meta) ([]candidate, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".") && p != dir {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() && !strings.HasPrefix(d.Name(), ".") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: read folder %s: %w", ErrCandidates, dir, err)
	}
	sort.Strings(files)
	classes := map[string]bool{}
	for _, c := range meta.Classes {
		classes[c] = true
	}
	out := make([]candidate, len(files))
	keep := make([]bool, len(files))
	err = parallel(ctx, len(files), func(i int) error {
		p := files[i]
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		data, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrCandidates, err)
		}
		var plane imageio.Plane
		switch {
		case imageio.Sniff(data) != imageio.KindNone:
			plane, _, err = imageio.DecodePlane(data)
		case dicomio.Detect(data[:min(len(data), dicomio.HeadSize)]) != dicomio.NotDICOM:
			_, plane, err = dicomio.Decode(data)
		default:
			return nil // not an image: skipped (README files, checksums…)
		}
		if err != nil {
			return fmt.Errorf("%w: decode %s: %w", ErrCandidates, p, err)
		}
		g, err := imageio.Normalize(plane, meta.ImageSize, imageio.AspectCrop)
		if err != nil {
			return fmt.Errorf("%w: %s: %w (candidates must be at least %d pixels square)", ErrCandidates, p, err, meta.ImageSize)
		}
		class := ""
		if first, _, ok := strings.Cut(rel, "/"); ok && classes[first] {
			class = first
		}
		sum := sha256.Sum256(data)
		id := "x-" + strings.NewReplacer("/", "_", " ", "_").Replace(strings.TrimSuffix(rel, path.Ext(rel)))
		out[i] = candidate{row: workspace.SynthImage{ID: id, Class: class, SHA256: hex.EncodeToString(sum[:]), Generator: "external"},
			img: g}
		keep[i] = true
		return nil
	})
	if err != nil {
		return nil, err
	}
	var cs []candidate
	for i, c := range out {
		if keep[i] {
			cs = append(cs, c)
		}
	}
	if len(cs) == 0 {
		return nil, fmt.Errorf("%w: no PNG, JPEG or DICOM image under %s", ErrCandidates, dir)
	}
	return cs, nil
}

// FilterRecord records privacy-enhancing sampling.
type FilterRecord struct {
	MaxRounds int            `json:"max_rounds"`
	Target    map[string]int `json:"target"`
	Rounds    []FilterRound  `json:"rounds"`
	Removed   int            `json:"removed"`
	// Reached is true when every class got back to its target count.
	Reached bool   `json:"reached"`
	Note    string `json:"note,omitempty"`
}

// FilterRound is one round: the candidates removed and the replacements made, per class.
type FilterRound struct {
	Round     int            `json:"round"`
	Removed   map[string]int `json:"removed"`
	Generated map[string]int `json:"generated"`
	// RemovedIDs lists the synthetic images removed (private report only).
	RemovedIDs []string `json:"removed_ids,omitempty"`
}

// filterLoop removes every flagged candidate, generates as many replacements from the same
// generator stream, and re-checks, until nothing is flagged or MaxRounds replacement rounds ran.
// The last evaluation is always of the set returned.
func filterLoop(ctx context.Context, cfg Config, cands []candidate, ev *Evaluation, evaluate func([]candidate) (*Evaluation, error), rec *FilterRecord, log *slog.Logger) ([]candidate, *Evaluation, error) {
	cur := cands
	for round := 1; ; round++ {
		if len(ev.Flagged) == 0 {
			rec.Reached = true
			return cur, ev, nil
		}
		flagged := map[string]bool{}
		for _, id := range ev.Flagged {
			flagged[id] = true
		}
		fr := FilterRound{Round: round, Removed: map[string]int{}, Generated: map[string]int{}}
		var kept []candidate
		for _, c := range cur {
			if flagged[c.row.ID] {
				fr.Removed[c.row.Class]++
				fr.RemovedIDs = append(fr.RemovedIDs, c.row.ID)
				rec.Removed++
				continue
			}
			kept = append(kept, c)
		}
		if round > cfg.MaxRounds {
			// round limit: drop the flagged images without replacing them and check what is left
			rec.Rounds = append(rec.Rounds, fr)
			log.Warn("privacy filter round limit reached", "rounds", cfg.MaxRounds, "removed", len(fr.RemovedIDs))
			if len(kept) == 0 {
				return nil, nil, fmt.Errorf("privacy filter: %w after %d rounds", ErrAllFlagged, cfg.MaxRounds)
			}
			ev2, err := evaluate(kept)
			if err != nil {
				return nil, nil, err
			}
			return kept, ev2, nil
		}
		// replacements, per class, continuing each class's seed stream
		classes := make([]string, 0, len(fr.Removed))
		for c := range fr.Removed {
			classes = append(classes, c)
		}
		slices.Sort(classes)
		for _, class := range classes {
			n := fr.Removed[class]
			var proto *workspace.SynthImage
			next := int64(0)
			for i := range cur {
				r := &cur[i].row
				if r.Class != class {
					continue
				}
				if proto == nil {
					proto = r
				}
				if r.Seed == proto.Seed && r.Sample >= next {
					next = r.Sample + 1
				}
			}
			imgs, err := cfg.Generator.Generate(ctx, class, n, proto.Seed, next)
			if err != nil {
				return nil, nil, fmt.Errorf("privacy filter: generate %d %s images: %w", n, class, err)
			}
			if len(imgs) != n {
				return nil, nil, fmt.Errorf("privacy filter: generator returned %d %s images, asked for %d", len(imgs), class, n)
			}
			size := cur[0].img.Rect.Dx()
			for k, px := range imgs {
				if len(px) != size*size {
					return nil, nil, fmt.Errorf("privacy filter: generator returned a %d-pixel %s image, want %d×%d", len(px), class, size, size)
				}
				g := imageio.FromFloat(px, size, size)
				sample := next + int64(k)
				// the id raysynth synth gives that sample of that generator and seed
				h := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d\x00%d", proto.Generator, proto.Seed, sample))
				id := "s-" + hex.EncodeToString(h[:8])
				kept = append(kept, candidate{row: workspace.SynthImage{ID: id, Class: class,
					File: "candidates/" + class + "/" + id + ".png", Generator: proto.Generator, Seed: proto.Seed, Sample: sample},
					img: g})
			}
			fr.Generated[class] = n
		}
		rec.Rounds = append(rec.Rounds, fr)
		log.Info("privacy filter round", "round", round, "removed", len(fr.RemovedIDs))
		cur = kept
		var err error
		if ev, err = evaluate(cur); err != nil {
			return nil, nil, err
		}
	}
}

// removeSet removes an image set's index first (so no reader sees an index without its images),
// then its images.
func removeSet(index, images string) error {
	if err := os.Remove(index); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove stale %s: %w", index, err)
	}
	if err := os.RemoveAll(images); err != nil {
		return fmt.Errorf("remove stale %s: %w", images, err)
	}
	return nil
}

// writeSet writes images/<class>/<id>.png and index.csv ([workspace.SynthImage] rows), as approved/ or
// privacy/checked/: the index removed first, the images into a temporary folder renamed into
// place, then the index.
func writeSet(ctx context.Context, cs []candidate, final, index string) error {
	if err := os.Remove(index); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return err
	}
	tmp, err := fsutil.TempDir(final)
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	rows := make([]workspace.SynthImage, len(cs))
	err = parallel(ctx, len(cs), func(i int) error {
		c := cs[i]
		class := c.row.Class
		if class == "" {
			class = "unlabelled"
		}
		b, err := imageio.EncodePNG(c.img)
		if err != nil {
			return err
		}
		p := filepath.Join(tmp, class, c.row.ID+".png")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return fmt.Errorf("write approved image: %w", err)
		}
		sum := sha256.Sum256(b)
		r := c.row
		r.File = "images/" + class + "/" + c.row.ID + ".png"
		r.SHA256 = hex.EncodeToString(sum[:])
		r.DICOM = ""
		rows[i] = r
		return nil
	})
	if err != nil {
		return err
	}
	if err := fsutil.CommitDir(tmp, final, true); err != nil {
		return err
	}
	return workspace.WriteSynthIndex(index, rows)
}

func fileSHA(p string) (string, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return "", err
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:]), nil
}

// HashBytes returns the hex sha256 of b (for recording a policy file's hash).
func HashBytes(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
