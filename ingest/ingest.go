package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/raysynth/raysynth/internal/dicomio"
	"github.com/raysynth/raysynth/internal/fsutil"
	"github.com/raysynth/raysynth/internal/imageio"
	"github.com/raysynth/raysynth/internal/progress"
	"github.com/raysynth/raysynth/internal/workspace"
	"golang.org/x/sync/semaphore"
)

// ErrRejected is returned (with the report) by a --strict ingest that rejected files.
var ErrRejected = errors.New("files were rejected")

// ErrWorkspaceMismatch is returned when the options contradict the workspace's earlier ingest.
var ErrWorkspaceMismatch = errors.New("options differ from the workspace's earlier ingest")

// imageExts are extensions whose files are rejected (not silently ignored) when their content is
// not a recognised image.
var imageExts = []string{".png", ".jpg", ".jpeg", ".dcm", ".dicom", ".dic", ".ima"}

// DICOM files above bigDICOM bytes get a header check before they are read into memory; above
// maxDICOM they are refused (a 4k × 4k 16-bit film is 32 MB).
// (Variables so tests can lower them.)
var (
	bigDICOM int64 = 32 << 20
	maxDICOM int64 = 512 << 20
)

// memoryLimit is the Go heap limit during an ingest: the decode budget and room for the rest
// (the file list, the journal, labels).
const memoryLimit = imageio.MaxDecodeBytes + 64<<20

// reasonNotImage marks (in the journal) a DICOM object without pixel data: ignored, like a text
// file, not rejected.
const reasonNotImage = "not_an_image"

// job is one input file.
type job struct {
	idx  int
	path string // absolute
}

// outcome is what processing one input file gave.
type outcome struct {
	path    string
	ignored bool
	class   string // accepted class (labels decided before decoding)
	labelPt string // source patient from the labels file ("" = none)
	entry   *cacheEntry
	reason  string // rejection before or without decoding
	detail  string
	resumed bool
	err     error // fatal (disk full, cancelled)
}

// Run ingests cfg.From into the workspace: see the package documentation. It returns the report
// (also written to ingest/report.json); with cfg.Strict and any rejection it returns the report and
// an error wrapping [ErrRejected], and the index is left as it was.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	workers := cfg.Workers
	if workers == 0 {
		workers = 2
	}
	selected := make([]string, len(cfg.Classes))
	for i, c := range cfg.Classes {
		selected[i] = NormalizeClass(c)
	}
	keep := map[string]float64{}
	for c, f := range cfg.Keep {
		keep[NormalizeClass(c)] = f
	}

	ws, err := workspace.Init(cfg.Workspace)
	if err != nil {
		return nil, err
	}
	wsAbs, _ := filepath.Abs(ws.Dir)
	meta, size, seed, err := settleOptions(ws, cfg, selected)
	if err != nil {
		return nil, err
	}
	// The journal's lock keeps a second ingest out of this workspace until this one ends.
	jr, err := openJournal(ws.IngestCachePath())
	if err != nil {
		return nil, err
	}
	defer jr.close()
	master, ps, err := openPrivate(ws, log)
	if err != nil {
		return nil, err
	}
	var labels *Labels
	if cfg.Labels != "" {
		labels, err = ReadLabels(cfg.Labels, cfg.LabelsFormat, cfg.LabelColumn)
		if err != nil {
			return nil, err
		}
		log.Info("labels", "format", labels.Format, "column", labels.Column, "rows", len(labels.Rows))
	}
	files, err := walk(ctx, cfg.From, wsAbs)
	if err != nil {
		return nil, err
	}
	cache, err := readCache(ws.IngestCachePath())
	if err != nil {
		return nil, err
	}

	p := &processor{ws: ws, ps: ps, labels: labels, selected: selected, policy: cfg.LabelPolicy,
		size: size, aspect: cfg.Aspect, cache: cache, jr: jr, mem: semaphore.NewWeighted(imageio.MaxDecodeBytes)}
	// Keep the heap near that budget: the runtime collects harder as it nears the limit (a
	// lower GOMEMLIMIT set by the user is kept).
	if prev := debug.SetMemoryLimit(-1); prev > memoryLimit {
		debug.SetMemoryLimit(memoryLimit)
		defer debug.SetMemoryLimit(prev)
	}
	task := progress.OrNop(cfg.Progress).Start("ingest", int64(len(files)), "files")
	outcomes, err := decodeAll(ctx, p, files, workers, task)
	if err != nil {
		task.Done()
		return nil, err
	}

	rep := newReport(cfg, size, seed, selected, keep, labels)
	rep.Files.Seen = len(files)
	fresh, processed, refPaths := collect(rep, outcomes, master, labels, ps)
	// The bar ends on the summary's numbers: duplicates found above move files from accepted to
	// rejected after every file was decoded.
	task.Status(fmt.Sprintf("%d accepted, %d rejected", rep.Files.Accepted, rep.Files.Rejected))
	task.Done()

	// Merge with earlier ingests: rows of files processed now are replaced by this run's outcome.
	all := merge(master, fresh, processed)
	assignSplits(all, cfg.Holdout, seed)
	rep.DroppedByKeep = applyKeep(all, keep, seed)
	index, err := count(rep, all, cfg.Holdout)
	if err != nil {
		return nil, err
	}
	slices.Sort(rep.Warnings)
	slices.SortFunc(rep.Rejected, func(a, b Rejection) int { return strings.Compare(a.Ref, b.Ref) })
	rep.Finished = time.Now().UTC().Format(time.RFC3339)

	if err := writeRejectedList(ws.RejectedListPath(), rep.Rejected, refPaths); err != nil {
		return nil, err
	}
	if err := writeReport(ws.IngestReportPath(), rep); err != nil {
		return nil, err
	}
	if cfg.Strict && len(rep.Rejected) > 0 {
		return rep, fmt.Errorf("%w: %d of %d files (--strict); nothing was indexed", ErrRejected, len(rep.Rejected), len(files))
	}
	if err := commit(ws, cfg.From, meta, all, index, rep, size, seed, selected); err != nil {
		return nil, err
	}
	return rep, nil
}

// settleOptions checks the options against the workspace's earlier ingest (its workspace.json)
// and returns that metadata with the image size and seed this ingest uses.
func settleOptions(ws *workspace.Workspace, cfg Config, selected []string) (meta workspace.Meta, size int, seed uint64, err error) {
	meta, hadMeta, err := loadMeta(ws)
	if err != nil {
		return meta, 0, 0, err
	}
	size, seed = cfg.Size, cfg.Seed
	if hadMeta {
		if size == 0 {
			size = meta.ImageSize
		}
		if !cfg.SeedSet {
			seed = meta.Seed
		}
		switch {
		case size != meta.ImageSize:
			return meta, 0, 0, fmt.Errorf("%w: workspace %s holds %d-pixel images, not %d; use a new --workspace for another size", ErrWorkspaceMismatch, ws.Dir, meta.ImageSize, size)
		case seed != meta.Seed:
			return meta, 0, 0, fmt.Errorf("%w: workspace %s was split with seed %d, not %d; use a new --workspace for another split", ErrWorkspaceMismatch, ws.Dir, meta.Seed, seed)
		case len(selected) > 0 && len(meta.Classes) > 0 && !sameSet(selected, meta.Classes) && !(len(meta.Classes) == 1 && meta.Classes[0] == Unlabeled):
			return meta, 0, 0, fmt.Errorf("%w: workspace %s has classes %s, not %s; use a new --workspace", ErrWorkspaceMismatch, ws.Dir, strings.Join(meta.Classes, ","), strings.Join(selected, ","))
		}
	}
	if size == 0 {
		size = DefaultSize
	}
	return meta, size, seed, nil
}

// openPrivate removes temporaries a killed ingest left, and reads the workspace's private state:
// the source map of earlier ingests and the pseudonym key (created on the first ingest; refused
// when lost after images were ingested).
func openPrivate(ws *workspace.Workspace, log *slog.Logger) ([]*record, *pseudonymizer, error) {
	for _, d := range []string{ws.Dir, ws.PrivateDir(), ws.RealImagesDir(), filepath.Dir(ws.IngestReportPath())} {
		if _, err := fsutil.CleanTemp(d); err != nil {
			return nil, nil, err
		}
	}
	master, err := readSourceMap(ws.SourceMapPath())
	if err != nil {
		return nil, nil, err
	}
	if _, err := os.Stat(ws.SecretPath()); errors.Is(err, fs.ErrNotExist) && len(master) > 0 {
		return nil, nil, fmt.Errorf("workspace %s has ingested images but no private/secret.key: restore the key from backup (a new key would give every image and patient new pseudonyms)", ws.Dir)
	}
	ps, created, err := loadOrCreateSecret(ws.SecretPath())
	if err != nil {
		return nil, nil, err
	}
	if created {
		log.Info("created workspace secret", "file", "private/secret.key")
	}
	return master, ps, nil
}

// decodeAll processes every file with a small worker pool; outcomes come back in input order,
// and each new outcome is added to the journal as it arrives. A fatal error (the workspace's
// disk, the journal) stops the pool and is returned, as is the cancellation of ctx.
func decodeAll(ctx context.Context, p *processor, files []string, workers int, task progress.Task) ([]outcome, error) {
	parent := ctx
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	outcomes := make([]outcome, len(files))
	jobs := make(chan job)
	results := make(chan job, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				outcomes[j.idx] = p.process(ctx, j.path)
				results <- j
			}
		}()
	}
	go func() {
		defer close(jobs)
		for i, f := range files {
			select {
			case jobs <- job{i, f}:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()
	var fatal error
	accepted, rejected := 0, 0
	for j := range results {
		o := &outcomes[j.idx]
		if o.err != nil {
			if fatal == nil && parent.Err() == nil {
				fatal = o.err
				stop()
			}
			continue
		}
		if o.entry != nil && !o.resumed {
			if err := p.jr.add(o.entry); err != nil && fatal == nil {
				fatal = fmt.Errorf("write ingest journal: %w", err)
				stop()
			}
		}
		if o.ok() {
			accepted++
		} else if !o.ignored {
			rejected++
		}
		task.Add(1)
		task.Status(fmt.Sprintf("%d accepted, %d rejected", accepted, rejected))
	}
	if err := parent.Err(); err != nil {
		return nil, err
	}
	if fatal != nil {
		return nil, fatal
	}
	return outcomes, nil
}

// splitBit is a split's bit in a set of splits: train, holdout, anything else.
func splitBit(split string) uint8 {
	switch split {
	case workspace.SplitTrain:
		return 1
	case workspace.SplitHoldout:
		return 2
	}
	return 4
}

func (o *outcome) ok() bool {
	return !o.ignored && o.reason == "" && o.entry != nil && o.entry.Reason == ""
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func loadMeta(ws *workspace.Workspace) (workspace.Meta, bool, error) {
	if _, err := os.Stat(ws.Path("workspace.json")); errors.Is(err, fs.ErrNotExist) {
		return workspace.Meta{}, false, nil
	}
	m, err := ws.LoadMeta()
	return m, err == nil, err
}

// walk lists the regular files under root (or root itself), sorted, skipping hidden files and
// folders and the workspace.
func walk(ctx context.Context, root, wsAbs string) ([]string, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	var out []string
	err = filepath.WalkDir(abs, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("read input folder: %w", err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		name := d.Name()
		if d.IsDir() {
			if p != abs && (strings.HasPrefix(name, ".") || p == wsAbs) {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasPrefix(name, ".") {
			return nil
		}
		if d.Type().IsRegular() || d.Type()&fs.ModeSymlink != 0 {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(out)
	return out, nil
}

type processor struct {
	ws       *workspace.Workspace
	ps       *pseudonymizer
	labels   *Labels
	selected []string
	policy   string
	size     int
	aspect   imageio.Aspect
	cache    map[string]*cacheEntry
	jr       *journal
	// mem is the memory budget shared by the decoding workers: each decode holds its
	// estimate, so together they stay within one file's budget.
	mem *semaphore.Weighted
}

// process handles one file: recognise it, decide its class from the labels, then decode,
// normalise and write it (or reuse the journal's earlier result).
func (p *processor) process(ctx context.Context, path string) outcome {
	o := outcome{path: path}
	if err := ctx.Err(); err != nil {
		o.err = err
		return o
	}
	st, err := os.Stat(path)
	if err != nil {
		o.reason, o.detail = ReasonUnreadable, "cannot stat the file"
		return o
	}
	if !st.Mode().IsRegular() {
		o.ignored = true
		return o
	}
	head, err := readHead(path)
	if err != nil {
		o.reason, o.detail = ReasonUnreadable, "cannot open or read the file"
		return o
	}
	kind := imageio.Sniff(head)
	if kind == imageio.KindNone && dicomio.Detect(head) != dicomio.NotDICOM {
		kind = imageio.KindDICOM
	}
	if kind == imageio.KindNone {
		if slices.Contains(imageExts, strings.ToLower(filepath.Ext(path))) {
			o.reason, o.detail = ReasonUnrecognized, "content is not PNG, JPEG or DICOM (empty, truncated or another format)"
		} else {
			o.ignored = true
		}
		return o
	}
	if p.labels != nil {
		row := p.labels.Lookup(path)
		if row < 0 {
			if kind == imageio.KindDICOM {
				if _, err := dicomio.ReadInfoFile(path); errors.Is(err, dicomio.ErrNoPixelData) {
					o.ignored = true // DICOMDIR, report, presentation state: not a film
					return o
				}
			}
			o.reason, o.detail = ReasonUnlabeled, "no row in the labels file"
			return o
		}
		r := p.labels.Rows[row]
		class, reason, detail := decide(r.Findings, p.selected, p.policy)
		if reason != "" {
			o.reason, o.detail = reason, detail
			return o
		}
		o.class = class
		if r.Patient != "" {
			o.labelPt = "label:" + r.Patient
		}
	}
	died := 0 // earlier runs that died while decoding this file
	if e, ok := p.cache[path]; ok && e.Size == st.Size() && e.ModTime == st.ModTime().UnixNano() &&
		e.Out == p.size && e.Aspect == string(p.aspect) {
		if e.Decoding > 0 {
			died = e.Decoding
		} else if e.Reason != "" || fileHasSHA(p.ws.RealImagePath(e.ID), e.SHA256) {
			o.entry, o.resumed = e, true
			o.ignored = e.Reason == reasonNotImage
			return o
		}
	}
	e := &cacheEntry{Path: path, Size: st.Size(), ModTime: st.ModTime().UnixNano(), Out: p.size, Aspect: string(p.aspect), Kind: string(kind)}
	o.entry = e
	if died >= maxDecodeDeaths {
		// Twice, the second time decoding nothing else: this file kills the process.
		e.Reason = ReasonUnreadable
		e.Detail = fmt.Sprintf("%sthe ingest process died %d times while decoding this file (out of memory or a crash in its decoder); it is skipped: delete its lines from private/ingest-cache.jsonl to try it again", map[bool]string{true: "DICOM: "}[kind == imageio.KindDICOM], died)
		return o
	}
	if err := p.decode(ctx, path, kind, e, died); err != nil {
		o.err = err
	}
	o.ignored = e.Reason == reasonNotImage
	return o
}

// decode fills e with the image written to the workspace, or a rejection. Only disk errors on
// the workspace are returned.
// maxDecodeDeaths is how many runs may die while decoding one file before it is skipped. After
// the first, the file is decoded alone (holding the whole memory budget), so a second death is
// its own: a kill that happened to land while it was decoding costs one retry, not the file.
const maxDecodeDeaths = 2

func (p *processor) decode(ctx context.Context, path string, kind imageio.Kind, e *cacheEntry, died int) error {
	if kind == imageio.KindDICOM && e.Size > bigDICOM {
		// Check the header of a big file before loading it: multi-frame or compressed
		// series are refused without holding them in memory.
		info, err := dicomio.ReadInfoFile(path)
		if errors.Is(err, dicomio.ErrNoPixelData) {
			e.Kind, e.Reason = "", reasonNotImage
			return nil
		}
		if err == nil {
			err = info.CheckRenderable()
		}
		if err == nil && e.Size > maxDICOM {
			err = fmt.Errorf("%w: file of %d MB is larger than any radiograph (limit %d MB)", dicomio.ErrTooLarge, e.Size>>20, maxDICOM>>20)
		}
		if err != nil {
			e.Reason, e.Detail = rejectReason(err), "DICOM: "+err.Error()
			return nil
		}
	}
	// The memory budget: price the decode from the file's headers before reading it, refuse a
	// file over the per-file budget (journalled like every rejection, so a re-run skips it),
	// and wait until the decodes in flight leave room for this one.
	est, err := estimate(path, kind, e.Size)
	if err != nil {
		e.Reason, e.Detail = rejectReason(err), err.Error()
		if kind == imageio.KindDICOM {
			e.Detail = "DICOM: " + e.Detail
		}
		return nil
	}
	est = min(max(est, 1), imageio.MaxDecodeBytes)
	if died > 0 {
		est = imageio.MaxDecodeBytes // alone: if the process dies again, this file did it
	}
	if err := p.mem.Acquire(ctx, est); err != nil {
		return err
	}
	defer p.mem.Release(est)
	data, err := os.ReadFile(path)
	if err != nil {
		e.Reason, e.Detail = ReasonUnreadable, "cannot read the file"
		return nil
	}
	sum := sha256.Sum256(data)
	e.ID = p.ps.Image(hex.EncodeToString(sum[:]))
	// A decode may run a C decoder (DICOM codecs; libpng for 8-bit grayscale PNG): say so in
	// the journal first, so a file that kills the process is known on the next run (see
	// maxDecodeDeaths).
	if err := p.jr.add(&cacheEntry{Path: e.Path, Size: e.Size, ModTime: e.ModTime, Out: e.Out, Aspect: e.Aspect, Decoding: died + 1}); err != nil {
		return fmt.Errorf("write ingest journal: %w", err)
	}
	var w, h int
	var normalize func() (*image.Gray, error)
	if kind == imageio.KindDICOM {
		info, pl, err := dicomio.DecodeForSize(data, p.size) // JPEG 2000 at the level the output size needs
		data = nil
		if errors.Is(err, dicomio.ErrNoPixelData) {
			e.ID, e.Kind = "", ""
			e.Reason = reasonNotImage
			return nil
		}
		if err != nil {
			e.ID, e.Reason, e.Detail = "", rejectReason(err), "DICOM: "+err.Error()
			return nil
		}
		if err := info.CheckChest(); err != nil {
			e.ID, e.Reason, e.Detail = "", ReasonNotChest, "DICOM: "+err.Error()
			return nil
		}
		switch {
		case info.PatientID != "":
			e.DICOMPatient = "dicom:" + info.PatientID
		case info.StudyInstanceUID != "":
			e.DICOMPatient = "study:" + info.StudyInstanceUID
		}
		w, h = pl.W, pl.H
		normalize = func() (*image.Gray, error) { return imageio.Normalize(pl, p.size, p.aspect) }
	} else {
		img, _, err := imageio.DecodeImage(data)
		data = nil
		if err != nil {
			e.ID, e.Reason, e.Detail = "", rejectReason(err), err.Error()
			return nil
		}
		w, h = img.Bounds().Dx(), img.Bounds().Dy()
		normalize = func() (*image.Gray, error) { return imageio.NormalizeImage(img, p.size, p.aspect) }
	}
	if r := float64(max(w, h)) / float64(max(1, min(w, h))); r > 2 {
		e.ID, e.Reason, e.Detail = "", ReasonNotChest, fmt.Sprintf("%dx%d: aspect ratio %.1f:1 is not a chest film", w, h, r)
		return nil
	}
	gray, err := normalize()
	if errors.Is(err, imageio.ErrTooSmall) {
		e.ID, e.Reason, e.Detail = "", ReasonTooSmall, fmt.Sprintf("%dx%d is smaller than --size %d (raysynth never upscales)", w, h, p.size)
		return nil
	}
	if err != nil {
		e.ID, e.Reason, e.Detail = "", ReasonUnreadable, err.Error()
		return nil
	}
	if blank(gray) {
		e.ID, e.Reason, e.Detail = "", ReasonBlank, "every pixel has the same value"
		return nil
	}
	e.Inverted = looksInverted(gray)
	pix := sha256.Sum256(gray.Pix)
	e.PixelSHA256 = hex.EncodeToString(pix[:])
	png, err := imageio.EncodePNG(gray)
	if err != nil {
		return fmt.Errorf("encode image %s: %w", e.ID, err)
	}
	ps := sha256.Sum256(png)
	e.SHA256 = hex.EncodeToString(ps[:])
	dst := p.ws.RealImagePath(e.ID)
	if !fileHasSHA(dst, e.SHA256) {
		if err := writeImage(dst, png); err != nil {
			return fmt.Errorf("write image: %w", err)
		}
	}
	return nil
}

// estimate returns what decoding and normalising the file will take, from its headers only
// (a DICOM file's element stream is scanned, seeking over its pixel data; a PNG or JPEG file's
// header is read).
func estimate(path string, kind imageio.Kind, size int64) (int64, error) {
	if kind == imageio.KindDICOM {
		return dicomio.EstimateFile(path)
	}
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("cannot open the file: %w", err)
	}
	defer f.Close()
	_, est, err := imageio.Estimate(f, size)
	return est, err
}

// rejectReason is the rejection reason for a decoding error: too_large over the memory budget,
// unsupported for a valid file this build cannot render, unreadable otherwise.
func rejectReason(err error) string {
	switch {
	case errors.Is(err, imageio.ErrTooLarge):
		return ReasonTooLarge
	case errors.Is(err, dicomio.ErrUnsupported):
		return ReasonUnsupported
	}
	return ReasonUnreadable
}

func readHead(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, dicomio.HeadSize)
	n, err := io.ReadFull(f, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return buf[:n], nil
}

func fileHasSHA(path, want string) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:]) == want
}

func blank(g *image.Gray) bool {
	for _, v := range g.Pix {
		if v != g.Pix[0] {
			return false
		}
	}
	return true
}

func writeReport(path string, rep *Report) error {
	b, err := marshalReport(rep)
	if err != nil {
		return err
	}
	return fsutil.WriteFile(path, b, 0o644)
}

// removeOrphans deletes workspace images that no record names (left by an interrupted run or by
// files later found to be duplicates). It reads the folder in chunks, so that an archive's
// listing is not held in memory.
func removeOrphans(ws *workspace.Workspace, recs []*record) error {
	want := make(map[string]bool, len(recs))
	for _, r := range recs {
		want[r.ID] = true
	}
	dir, err := os.Open(ws.RealImagesDir())
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer dir.Close()
	var orphans []string
	for {
		entries, err := dir.ReadDir(1024)
		for _, e := range entries {
			if id, ok := strings.CutSuffix(e.Name(), ".png"); !ok || !want[id] {
				orphans = append(orphans, e.Name())
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	for _, name := range orphans {
		if err := os.RemoveAll(filepath.Join(ws.RealImagesDir(), name)); err != nil {
			return err
		}
	}
	return nil
}

// writeImage writes a workspace image under a temporary name (internal/fsutil's prefix, so
// [fsutil.CleanTemp] removes leftovers) and renames it into place. Unlike [fsutil.WriteFile] it
// does not fsync each of thousands of images: the journal records every image's sha256 and a
// resumed ingest rewrites any image whose bytes do not match, so a crash cannot leave a damaged
// image behind. The index, source map and report are written with fsutil (synced).
func writeImage(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, fsutil.TempPrefix+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	cerr := f.Close()
	if err := errors.Join(werr, cerr, os.Chmod(tmp, 0o644)); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
