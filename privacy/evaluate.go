package privacy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"slices"
	"sort"

	"github.com/raysynth/raysynth/internal/progress"
)

// Sample is one image and what the checks need to know about it.
type Sample struct {
	ID      string
	Class   string
	Patient string    // patient pseudonym of a real image; "" for a synthetic one
	Pixels  []float32 // Size×Size, row-major, values in [-1, 1]
	// Gray, when set instead of Pixels, holds the image as 8-bit pixels (v stands for
	// v/127.5 − 1, as imageio.ToFloat maps them): a quarter of the memory, with the same
	// results. The checks hold no other copy of a real image, so this is what bounds their
	// memory on a large archive.
	Gray []uint8
}

// pixels returns the image as float32 values in [-1, 1], converting Gray when Pixels is unset.
func (s Sample) pixels() []float32 {
	if s.Pixels != nil || s.Gray == nil {
		return s.Pixels
	}
	out := make([]float32, len(s.Gray))
	for i, v := range s.Gray {
		out[i] = grayValue[v]
	}
	return out
}

func (s Sample) pixelCount() int {
	if s.Pixels != nil {
		return len(s.Pixels)
	}
	return len(s.Gray)
}

// Sets are the three image sets compared: synthetic candidates S, the real training split T that
// the generators saw, and the real holdout H of patients they never saw.
type Sets struct {
	Size      int
	Synthetic []Sample
	Train     []Sample
	Holdout   []Sample
}

// Generator makes synthetic images of a class: n images from the seed's stream
// starting at sample number firstSample, float32 in [-1, 1], row-major size×size.
type Generator interface {
	Generate(ctx context.Context, class string, n int, seed uint64, firstSample int64) ([][]float32, error)
}

// Embedder maps images (float32 in [-1, 1], row-major size×size) to feature vectors, for
// example a classifier's penultimate layer. Name is recorded in the reports.
type Embedder interface {
	Embed(ctx context.Context, images [][]float32) ([][]float32, error)
	Name() string
}

// EmbeddingPixel is the name of the pixel embedding, which every evaluation uses.
const EmbeddingPixel = "pixel"

// EvalConfig configures [Evaluate].
type EvalConfig struct {
	Policy    Policy
	Embedders []Embedder // learned embeddings checked besides pixels (may be empty)
	Seed      uint64     // seeds the equal-size subsets
	// BlockRefs is how many references one GEMM block of the search holds, and so the unit that
	// shards split (default 2048). It changes memory and speed, not results.
	BlockRefs int
	Progress  progress.Reporter
	Log       *slog.Logger
}

// Check is one check's outcome for one class ("" = all classes) in one embedding.
type Check struct {
	Name      string  `json:"name"`
	Class     string  `json:"class"`
	Embedding string  `json:"embedding"`
	Value     float64 `json:"value"`
	Threshold float64 `json:"threshold"`
	// Rule says how value and threshold compare when the check passes: "<=" or ">=".
	Rule string `json:"rule"`
	// Bound is the confidence bound of the value that the gate compares with the threshold (see
	// Policy.Statistics); it equals the value for exact checks and when confidence is 0.
	Bound  float64 `json:"bound"`
	Passed bool    `json:"passed"`
	N      int     `json:"n"`              // images (or patients) the value rests on
	Note   string  `json:"note,omitempty"` // why a check could not be computed, if so
}

// ID names a check uniquely: embedding/name[/class].
func (c Check) ID() string {
	id := c.Embedding + "/" + c.Name
	if c.Class != "" {
		id += "/" + c.Class
	}
	return id
}

// Flags a synthetic image can carry.
const (
	FlagCalibratedRatio = "calibrated_ratio" // ℓ ≤ max_calibrated_ratio
	FlagNNDR            = "nndr"             // d1/d2 < nndr_below
	FlagNearExact       = "near_exact"       // d1 ≤ near_exact_distance
)

// ImageResult is what the memorization checks found for one synthetic image in one embedding.
// NearestTrain names a real image, so it appears only in the private report.
type ImageResult struct {
	Index           int      `json:"-"`
	ID              string   `json:"id"`
	Class           string   `json:"class"`
	Embedding       string   `json:"embedding"`
	NearestTrain    string   `json:"nearest_train"`
	D1              float64  `json:"d1"`
	D2              float64  `json:"d2"`
	MeanNeighbours  float64  `json:"mean_neighbours"`
	CalibratedRatio float64  `json:"calibrated_ratio"`
	NNDR            float64  `json:"nndr"`
	NearestHoldout  float64  `json:"nearest_holdout"`
	Flags           []string `json:"flags,omitempty"`
}

// Evaluation is the outcome of [Evaluate].
type Evaluation struct {
	Passed  bool          `json:"passed"`
	Checks  []Check       `json:"checks"`
	Images  []ImageResult `json:"images"`
	Flagged []string      `json:"flagged"` // ids of synthetic images any memorization check flagged, sorted
	// Subsets records the sizes of the equal-size subsets T' and H'.
	TrainSubset   int `json:"train_subset"`
	HoldoutSubset int `json:"holdout_subset"`
	// Distances keeps, per embedding, the d1 of S→T' and of H→T' for histograms.
	Distances map[string]DistancePair `json:"-"`
}

// DistancePair holds d1 of synthetic and of holdout images to the equal-size training subset.
type DistancePair struct{ SynthToTrain, HoldoutToTrain []float64 }

// FailedChecks returns the ids of the checks that failed.
func (e *Evaluation) FailedChecks() []string {
	var out []string
	for _, c := range e.Checks {
		if !c.Passed {
			out = append(out, c.ID())
		}
	}
	return out
}

// ErrNoImages is returned when a set the checks need is empty.
var ErrNoImages = errors.New("no images")

// Evaluate runs every check on the sets in pixel space and in each embedding, per class and over
// all classes, and applies the policy.
func Evaluate(ctx context.Context, sets Sets, cfg EvalConfig) (*Evaluation, error) {
	return evaluate(ctx, sets, cfg, nil)
}

// evaluate is [Evaluate]; with a shard set in sh it only scans the shard's reference blocks of
// every search and leaves the lists in sh (the evaluation returned is then nil), and with merged
// lists in sh it takes the searches' candidates from them instead of scanning.
func evaluate(ctx context.Context, sets Sets, cfg EvalConfig, sh *sharding) (*Evaluation, error) {
	if err := cfg.Policy.Validate(); err != nil {
		return nil, err
	}
	switch {
	case len(sets.Synthetic) == 0:
		return nil, fmt.Errorf("synthetic candidates: %w", ErrNoImages)
	case len(sets.Train) == 0:
		return nil, fmt.Errorf("real train split: %w", ErrNoImages)
	case len(sets.Holdout) == 0:
		return nil, fmt.Errorf("real holdout split: %w (the checks compare against patients the generator never saw)", ErrNoImages)
	case sets.Size <= 2*cfg.Policy.Memorization.ShiftPixels+1:
		return nil, fmt.Errorf("image size %d too small for a shift tolerance of %d pixels", sets.Size, cfg.Policy.Memorization.ShiftPixels)
	}
	for _, group := range [][]Sample{sets.Synthetic, sets.Train, sets.Holdout} {
		for _, s := range group {
			if s.pixelCount() != sets.Size*sets.Size {
				return nil, fmt.Errorf("image %s has %d pixels, want %d×%d", s.ID, s.pixelCount(), sets.Size, sets.Size)
			}
		}
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rep := progress.OrNop(cfg.Progress)

	// equal-size subsets T' and H', per class: one image of the class from each of n_c patients,
	// so that neither subset is more diverse. n_c is half the smaller patient count, so that both
	// subsets are samples of their pool: with H' the whole holdout and T' half of the training
	// patients, identifiability on Kermany holdout-as-synthetic came out 0.15 higher for T' than
	// for H' (normal class), and 0.01 below it with both subsampled.
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x70726976))
	var tSub, hSub []int
	for _, c := range realClasses(sets) {
		tRows, hRows := rowsOf(sets.Train, c), rowsOf(sets.Holdout, c)
		nc := (min(countPatients(pick(sets.Train, tRows)), countPatients(pick(sets.Holdout, hRows))) + 1) / 2
		for _, k := range onePerPatient(rng, pick(sets.Train, tRows), nc) {
			tSub = append(tSub, tRows[k])
		}
		for _, k := range onePerPatient(rng, pick(sets.Holdout, hRows), nc) {
			hSub = append(hSub, hRows[k])
		}
	}
	slices.Sort(tSub)
	slices.Sort(hSub)
	n := len(tSub)
	if n < 2 {
		return nil, fmt.Errorf("train and holdout share fewer than 2 patients' worth of classes: %w", ErrNoImages)
	}

	ev := &Evaluation{TrainSubset: n, HoldoutSubset: n, Distances: map[string]DistancePair{}}
	spaces := []space{pixelSpace(sets, cfg.Policy.Memorization.ShiftPixels)}
	for _, e := range cfg.Embedders {
		sp, err := embedSpace(ctx, sets, e)
		if err != nil {
			return nil, err
		}
		spaces = append(spaces, sp)
	}
	flagged := map[string]bool{}
	for _, sp := range spaces {
		log.Info("privacy checks", "embedding", sp.name, "synthetic", len(sets.Synthetic), "train", len(sets.Train), "holdout", len(sets.Holdout), "subset", n)
		r, err := runSpace(ctx, sets, sp, tSub, hSub, cfg.Policy, cfg.BlockRefs, rep, sh)
		if err != nil {
			return nil, err
		}
		if sh.scanOnly() {
			continue
		}
		ev.Checks = append(ev.Checks, r.checks...)
		ev.Images = append(ev.Images, r.images...)
		ev.Distances[sp.name] = r.dist
		for _, im := range r.images {
			if len(im.Flags) > 0 {
				flagged[im.ID] = true
			}
		}
	}
	if sh.scanOnly() {
		return nil, nil
	}
	ev.Flagged = make([]string, 0, len(flagged))
	for id := range flagged {
		ev.Flagged = append(ev.Flagged, id)
	}
	sort.Strings(ev.Flagged)
	ev.Passed = true
	for _, c := range ev.Checks {
		ev.Passed = ev.Passed && c.Passed
	}
	return ev, nil
}

func realClasses(sets Sets) []string {
	seen := map[string]bool{}
	for _, g := range [][]Sample{sets.Train, sets.Holdout} {
		for _, s := range g {
			seen[s.Class] = true
		}
	}
	out := make([]string, 0, len(seen))
	for c := range seen {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

func rowsOf(ss []Sample, class string) []int {
	var out []int
	for i, s := range ss {
		if s.Class == class {
			out = append(out, i)
		}
	}
	return out
}

func pick(ss []Sample, rows []int) []Sample {
	out := make([]Sample, len(rows))
	for i, r := range rows {
		out[i] = ss[r]
	}
	return out
}

func countPatients(ss []Sample) int {
	seen := map[string]bool{}
	for _, s := range ss {
		seen[s.Patient] = true
	}
	return len(seen)
}

// onePerPatient picks n patients at random and one random image of each; it returns their row
// numbers in ascending order.
func onePerPatient(rng *rand.Rand, ss []Sample, n int) []int {
	byP := map[string][]int{}
	var pats []string
	for i, s := range ss {
		if _, ok := byP[s.Patient]; !ok {
			pats = append(pats, s.Patient)
		}
		byP[s.Patient] = append(byP[s.Patient], i)
	}
	slices.Sort(pats)
	rng.Shuffle(len(pats), func(i, j int) { pats[i], pats[j] = pats[j], pats[i] })
	idx := make([]int, 0, n)
	for _, p := range pats[:n] {
		rows := byP[p]
		idx = append(idx, rows[rng.IntN(len(rows))])
	}
	slices.Sort(idx)
	return idx
}

// space is one embedding of the three sets: the vectors searched and the exact distances.
type space struct {
	name    string
	s, t, h rowSource
	px      [3]*pixelSet // S, T, H in pixel space; nil for a learned embedding
	subT    func(idx []int) (rowSource, *pixelSet)
	subH    func(idx []int) (rowSource, *pixelSet)
	learned bool
}

func pixelSpace(sets Sets, shift int) space {
	ps, pt, ph := newPixelSet(sets.Synthetic, sets.Size, shift), newPixelSet(sets.Train, sets.Size, shift), newPixelSet(sets.Holdout, sets.Size, shift)
	return space{name: EmbeddingPixel, s: ps, t: pt, h: ph, px: [3]*pixelSet{ps, pt, ph},
		subT: func(idx []int) (rowSource, *pixelSet) { p := pt.subset(idx); return p, p },
		subH: func(idx []int) (rowSource, *pixelSet) { p := ph.subset(idx); return p, p }}
}

// embedChunk is how many images one Embed call gets: a multiple of the classifier's batch of
// 64, so that chunking does not change how its batches fall.
const embedChunk = 4096

func embedSpace(ctx context.Context, sets Sets, e Embedder) (space, error) {
	emb := func(ss []Sample, what string) (Vectors, error) {
		var v Vectors
		for c0 := 0; c0 < len(ss); c0 += embedChunk {
			c1 := min(c0+embedChunk, len(ss))
			imgs := make([][]float32, c1-c0)
			for i := range imgs {
				imgs[i] = ss[c0+i].pixels()
			}
			f, err := e.Embed(ctx, imgs)
			if err != nil {
				return Vectors{}, fmt.Errorf("embed %s images with %s: %w", what, e.Name(), err)
			}
			if len(f) != len(imgs) || len(f) == 0 {
				return Vectors{}, fmt.Errorf("embed %s images with %s: %d vectors for %d images", what, e.Name(), len(f), len(imgs))
			}
			if c0 == 0 {
				v.Dim = len(f[0])
				v.Data = make([]float32, 0, len(ss)*v.Dim)
			}
			for _, x := range f {
				if len(x) != v.Dim {
					return Vectors{}, fmt.Errorf("embed %s images with %s: vectors of different lengths", what, e.Name())
				}
				v.Data = append(v.Data, x...)
			}
		}
		return v, nil
	}
	s, err := emb(sets.Synthetic, "synthetic")
	if err != nil {
		return space{}, err
	}
	t, err := emb(sets.Train, "train")
	if err != nil {
		return space{}, err
	}
	h, err := emb(sets.Holdout, "holdout")
	if err != nil {
		return space{}, err
	}
	sub := func(v Vectors) func(idx []int) (rowSource, *pixelSet) {
		return func(idx []int) (rowSource, *pixelSet) {
			out := Vectors{Dim: v.Dim, Data: make([]float32, 0, len(idx)*v.Dim)}
			for _, i := range idx {
				out.Data = append(out.Data, v.Row(i)...)
			}
			return out, nil
		}
	}
	return space{name: e.Name(), s: s, t: t, h: h, subT: sub(t), subH: sub(h), learned: true}, nil
}

type spaceResult struct {
	checks []Check
	images []ImageResult
	dist   DistancePair
}

// searcher runs one search with the right exact distance for the embedding.
func search(ctx context.Context, rep progress.Reporter, sh *sharding, blockRefs int, name string, q, r rowSource, pq, pr *pixelSet, k, revK int, qg, rg []int32, rerank int) (fwd, rev [][]Neighbor, err error) {
	c := SearchConfig{K: k, RevK: revK, QGroup: qg, RGroup: rg, Rerank: rerank, BlockRefs: blockRefs}
	var exact, exactRev ExactFunc
	if pq != nil && pr != nil {
		exact, exactRev = tolerantExact(pq, pr), tolerantExact(pr, pq)
	} else {
		qv, rv := q.(Vectors), r.(Vectors)
		exact, exactRev = plainExact(qv, rv), plainExact(rv, qv)
	}
	switch {
	case sh.scanOnly():
		// this shard's reference blocks only; the lists go to the shard file
		c.defaults()
		nb := (r.count() + c.BlockRefs - 1) / c.BlockRefs
		mine := func(b int) bool { return b%sh.shard.N == sh.shard.I-1 }
		var pairs int64
		for b := range nb {
			if mine(b) {
				pairs += int64(q.count()) * int64(min(c.BlockRefs, r.count()-b*c.BlockRefs))
			}
		}
		c.Task = rep.Start("nearest neighbours "+name+" (shard "+sh.shard.String()+")", pairs, "pairs")
		defer c.Task.Done()
		fh, rh, err := scan(ctx, c, q, r, mine)
		if err != nil {
			return nil, nil, err
		}
		keepF, keepR := c.keeps()
		sh.searches[name] = &shardLists{KeepF: keepF, KeepR: keepR, Fwd: toLists(fh), Rev: toLists(rh)}
		return nil, nil, nil
	case sh != nil:
		// merged shard lists: re-rank and cut as after a full scan
		l := sh.searches[name]
		if l == nil || len(l.Fwd) != q.count() || (l.Rev != nil && len(l.Rev) != r.count()) {
			return nil, nil, fmt.Errorf("%w: the shards hold no search %q of this size", ErrShards, name)
		}
		keepF, keepR := c.keeps()
		if l.KeepF != keepF || l.KeepR != keepR {
			return nil, nil, fmt.Errorf("%w: search %q kept %d/%d candidates, this policy keeps %d/%d", ErrShards, name, l.KeepF, l.KeepR, keepF, keepR)
		}
		fwd, rev = finishBoth(c, fromLists(l.Fwd, keepF), fromLists(l.Rev, keepR), exact, exactRev)
		return fwd, rev, nil
	}
	c.Task = rep.Start("nearest neighbours "+name, int64(q.count())*int64(r.count()), "pairs")
	defer c.Task.Done()
	return searchRows(ctx, c, q, r, exact, exactRev)
}

func runSpace(ctx context.Context, sets Sets, sp space, tSub, hSub []int, pol Policy, blockRefs int, rep progress.Reporter, shd *sharding) (*spaceResult, error) {
	mp := pol.Memorization
	rr := pol.Rerank
	var pS, pT, pH *pixelSet
	if !sp.learned {
		pS, pT, pH = sp.px[0], sp.px[1], sp.px[2]
	}
	tV, pTs := sp.subT(tSub)
	hV, pHs := sp.subH(hSub)
	// patient groups: equal groups are excluded from self-searches
	groups := map[string]int32{}
	gid := func(ss []Sample, idx []int) []int32 {
		out := make([]int32, len(idx))
		for i, j := range idx {
			p := ss[j].Patient
			g, ok := groups[p]
			if !ok {
				g = int32(len(groups))
				groups[p] = g
			}
			out[i] = g
		}
		return out
	}
	tG, hG := gid(sets.Train, tSub), gid(sets.Holdout, hSub)
	nS := len(sets.Synthetic)
	sG := make([]int32, nS)
	for i := range sG {
		sG[i] = int32(i)
	}
	label := func(s string) string { return sp.name + " " + s }

	reuseT, reuseH := len(tSub) == len(sets.Train), len(hSub) == len(sets.Holdout)
	// 1. S → T (all of T): memorization; reverse: each training image's nearest synthetic images
	st, ts, err := search(ctx, rep, shd, blockRefs, label("S→T"), sp.s, sp.t, pS, pT, max(mp.Neighbours, 2), pol.Membership.K, nil, nil, rr)
	if err != nil {
		return nil, err
	}
	// 2. S → H (all of H): nearest holdout; reverse: each holdout image's nearest synthetic images
	sh, hs, err := search(ctx, rep, shd, blockRefs, label("S→H"), sp.s, sp.h, pS, pH, 2, pol.Membership.K, nil, nil, rr)
	if err != nil {
		return nil, err
	}
	// 3.–4. S → T' and S → H' (reused when the subset is the whole set)
	stp, shp := st, sh
	if !reuseT {
		if stp, _, err = search(ctx, rep, shd, blockRefs, label("S→T'"), sp.s, tV, pS, pTs, 5, 0, nil, nil, rr); err != nil {
			return nil, err
		}
	}
	if !reuseH {
		if shp, _, err = search(ctx, rep, shd, blockRefs, label("S→H'"), sp.s, hV, pS, pHs, 5, 0, nil, nil, rr); err != nil {
			return nil, err
		}
	}
	// 5. H' → T'
	ht, _, err := search(ctx, rep, shd, blockRefs, label("H'→T'"), hV, tV, pHs, pTs, 2, 0, nil, nil, rr)
	if err != nil {
		return nil, err
	}
	// 6.–8. T'→T', H'→H' (other patients only), S→S (other images only)
	tt, _, err := search(ctx, rep, shd, blockRefs, label("T'→T'"), tV, tV, pTs, pTs, 1, 0, tG, tG, rr)
	if err != nil {
		return nil, err
	}
	hh, _, err := search(ctx, rep, shd, blockRefs, label("H'→H'"), hV, hV, pHs, pHs, 1, 0, hG, hG, rr)
	if err != nil {
		return nil, err
	}
	ss, _, err := search(ctx, rep, shd, blockRefs, label("S→S"), sp.s, sp.s, pS, pS, 5, 0, sG, sG, rr)
	if err != nil {
		return nil, err
	}
	if shd.scanOnly() {
		return &spaceResult{}, nil
	}

	res := &spaceResult{}
	// per-image memorization
	for i, s := range sets.Synthetic {
		nb := st[i]
		im := ImageResult{Index: i, ID: s.ID, Class: s.Class, Embedding: sp.name,
			NearestTrain: sets.Train[nb[0].Index].ID, D1: nb[0].Dist, D2: math.Inf(1), NearestHoldout: sh[i][0].Dist}
		if len(nb) > 1 {
			im.D2 = nb[1].Dist
		}
		var sum float64
		for _, x := range nb {
			sum += x.Dist
		}
		im.MeanNeighbours = sum / float64(len(nb))
		im.CalibratedRatio = safeDiv(im.D1, mp.Alpha*im.MeanNeighbours)
		im.NNDR = 1 // undefined with a single training image: never flagged by this rule alone
		if !math.IsInf(im.D2, 1) {
			im.NNDR = safeDiv(im.D1, im.D2)
		}
		if im.CalibratedRatio <= mp.MaxCalibratedRatio {
			im.Flags = append(im.Flags, FlagCalibratedRatio)
		}
		if im.NNDR < mp.NNDRBelow {
			im.Flags = append(im.Flags, FlagNNDR)
		}
		if !sp.learned && im.D1 <= mp.NearExactDistance {
			im.Flags = append(im.Flags, FlagNearExact)
		}
		if math.IsInf(im.D2, 1) {
			im.D2 = 0 // JSON has no infinity; NNDR is already 0 when d2 is missing
		}
		res.images = append(res.images, im)
	}

	classes := classList(sets)
	d1 := func(nb [][]Neighbor, i int) float64 { return nb[i][0].Dist }
	nndr := func(nb [][]Neighbor, i int) float64 {
		if len(nb[i]) < 2 {
			return 1
		}
		return safeDiv(nb[i][0].Dist, nb[i][1].Dist)
	}
	for i := range nS {
		res.dist.SynthToTrain = append(res.dist.SynthToTrain, d1(stp, i))
	}
	// Candidates without a class (a folder of images with no class folders) are compared with
	// every real class pooled: "all" then means every class, not only the labelled ones.
	unlabelled := slices.ContainsFunc(sets.Synthetic, func(s Sample) bool { return s.Class == "" })
	for i, j := range hSub {
		if unlabelled || slices.Contains(classes, sets.Holdout[j].Class) {
			res.dist.HoldoutToTrain = append(res.dist.HoldoutToTrain, d1(ht, i))
		}
	}
	// nearest-synthetic distances of T' and H' images (from the reverse of S→T and S→H)
	tSubDS := make([]float64, len(tSub))
	for i, j := range tSub {
		tSubDS[i] = ts[j][0].Dist
	}
	hSubDS := make([]float64, len(hSub))
	for i, j := range hSub {
		hSubDS[i] = hs[j][0].Dist
	}
	st8 := pol.Statistics
	boot := newBootstrap(st8.Confidence, st8.Bootstrap, sp.name)
	synthClass := map[string]bool{}
	for _, c := range classes {
		synthClass[c] = true
	}
	for _, cls := range append([]string{""}, classes...) {
		// "all classes" means the classes that have synthetic images: real images of other
		// classes have nothing to be compared with
		in := func(c string) bool { return c == cls || (cls == "" && (unlabelled || synthClass[c])) }
		add := func(c Check) {
			c.Class, c.Embedding = cls, sp.name
			if c.Note != "" && c.Note != noteBeyond {
				c.Passed = false
			}
			res.checks = append(res.checks, c)
		}
		var sIdx, hIdx, tpIdx []int
		for i, s := range sets.Synthetic {
			if in(s.Class) {
				sIdx = append(sIdx, i)
			}
		}
		for i, j := range hSub {
			if in(sets.Holdout[j].Class) {
				hIdx = append(hIdx, i)
			}
		}
		for i, j := range tSub {
			if in(sets.Train[j].Class) {
				tpIdx = append(tpIdx, i)
			}
		}
		noS := noteIf(len(sIdx) == 0, "no synthetic images of this class")
		noH := noteIf(len(hIdx) == 0, "no holdout patients of this class in the equal-size subset")
		noT := noteIf(len(tpIdx) == 0, "no training patients of this class in the equal-size subset")
		// 1. memorization: exact rule per image, no statistics
		var nFlag int
		for _, i := range sIdx {
			if len(res.images[i].Flags) > 0 {
				nFlag++
			}
		}
		add(Check{Name: "memorized_images", Value: float64(nFlag), Threshold: float64(mp.MaxFlagged), Bound: float64(nFlag), Rule: "<=",
			Passed: nFlag <= mp.MaxFlagged, N: len(sIdx), Note: noS})
		// 2. distance to closest record, equal-size subsets T' and H'
		nearer := make([]float64, len(sIdx))
		sD1, sNNDR := make([]float64, len(sIdx)), make([]float64, len(sIdx))
		for k, i := range sIdx {
			dt, dh := d1(stp, i), d1(shp, i)
			switch {
			case dt < dh:
				nearer[k] = 1
			case dt == dh:
				nearer[k] = 0.5
			}
			sD1[k], sNNDR[k] = dt, nndr(stp, i)
		}
		hD1, hNNDR := make([]float64, len(hIdx)), make([]float64, len(hIdx))
		for k, i := range hIdx {
			hD1[k], hNNDR[k] = d1(ht, i), nndr(ht, i)
		}
		// the bootstrap resamples S, T' and H' (which subset images exist changes each synthetic
		// image's nearest real image, read from its 5-nearest lists)
		var shareB []float64
		if noS == "" && st8.Confidence > 0 {
			rng := boot.rng(Check{Name: "share_nearer_train"})
			wT, wH := make([]int, len(tSub)), make([]int, len(hSub))
			for range st8.Bootstrap {
				clear(wT)
				clear(wH)
				for range len(tSub) {
					wT[rng.IntN(len(tSub))]++
				}
				for range len(hSub) {
					wH[rng.IntN(len(hSub))]++
				}
				var sum float64
				for range len(sIdx) {
					i := sIdx[rng.IntN(len(sIdx))]
					dt, dh := nearestPresent(stp[i], wT, -1), nearestPresent(shp[i], wH, -1)
					switch {
					case dt < dh:
						sum++
					case dt == dh:
						sum += 0.5
					}
				}
				shareB = append(shareB, sum/float64(len(sIdx)))
			}
		}
		add(boot.decide(Check{Name: "share_nearer_train", Threshold: pol.DCR.MaxShareNearerTrain, N: len(sIdx), Note: noS}, mean(nearer), shareB))
		add(boot.atLeast(Check{Name: "p5_d1_vs_holdout", N: len(sIdx), Note: firstNonEmpty(noS, noH)}, pol.DCR.MinP5D1Factor,
			sD1, hD1, func(v []float64) float64 { return percentile(v, 5) }))
		add(boot.atLeast(Check{Name: "p10_nndr_vs_holdout", N: len(sIdx), Note: firstNonEmpty(noS, noH)}, pol.DCR.MinP10NNDRFactor,
			sNNDR, hNNDR, func(v []float64) float64 { return percentile(v, 10) }))
		// 3. membership inference per patient: members T (all), non-members H (all)
		memberScore := func(nb []Neighbor) float64 {
			var s float64
			for _, x := range nb {
				s += x.Dist
			}
			return -s / float64(len(nb)) // nearer the synthetic images ⇒ more likely a member
		}
		pos := perPatient(sets.Train, in, func(j int) float64 { return memberScore(ts[j]) })
		neg := perPatient(sets.Holdout, in, func(j int) float64 { return memberScore(hs[j]) })
		noMI := noteIf(len(pos) == 0 || len(neg) == 0, "no training or no holdout patients of this class")
		add(boot.atMost(Check{Name: "membership_auc", Threshold: pol.Membership.MaxAUC, N: len(pos) + len(neg), Note: noMI},
			[][]float64{pos, neg}, func(g [][]float64) float64 { return rocAUC(g[0], g[1]) }))
		add(boot.atMost(Check{Name: "membership_tpr_at_1pct_fpr", Threshold: pol.Membership.MaxTPRAt1PctFPR, N: len(pos) + len(neg), Note: noMI},
			[][]float64{pos, neg}, func(g [][]float64) float64 { return tprAtFPR(g[0], g[1], 0.01) }))
		// 4. adversarial accuracy and identifiability on T', H' and S
		aTS, idT := make([]float64, len(tpIdx)), make([]float64, len(tpIdx))
		for k, i := range tpIdx {
			aTS[k], idT[k] = b2f(tSubDS[i] > nnDist(tt[i])), b2f(tSubDS[i] < nnDist(tt[i]))
		}
		aHS, idH := make([]float64, len(hIdx)), make([]float64, len(hIdx))
		for k, i := range hIdx {
			aHS[k], idH[k] = b2f(hSubDS[i] > nnDist(hh[i])), b2f(hSubDS[i] < nnDist(hh[i]))
		}
		// per synthetic image: (d_ST' > d_SS) − (d_SH' > d_SS), resampled together
		aS := make([]float64, len(sIdx))
		for k, i := range sIdx {
			aS[k] = b2f(d1(shp, i) > nnDist(ss[i])) - b2f(d1(stp, i) > nnDist(ss[i]))
		}
		noAA := firstNonEmpty(noS, noH, noT)
		// The bootstrap resamples S as well as T' and H': both statistics depend on which
		// synthetic images exist. A resampled S changes each real image's nearest synthetic
		// image, read from its nearest-synthetic list (the last listed distance when none of the
		// listed images was drawn).
		var tLists, hLists [][]Neighbor
		for _, i := range tpIdx {
			tLists = append(tLists, ts[tSub[i]])
		}
		for _, i := range hIdx {
			hLists = append(hLists, hs[hSub[i]])
		}
		dTT, dHH := make([]float64, len(tpIdx)), make([]float64, len(hIdx))
		for k, i := range tpIdx {
			dTT[k] = nnDist(tt[i])
		}
		for k, i := range hIdx {
			dHH[k] = nnDist(hh[i])
		}
		dST, dSH := make([]float64, len(sIdx)), make([]float64, len(sIdx))
		var sLists [][]Neighbor
		for k, i := range sIdx {
			dST[k], dSH[k] = d1(stp, i), d1(shp, i)
			sLists = append(sLists, ss[i])
		}
		stats := func(w []int, tPick, hPick, sPick []int) (loss, ident float64) {
			var aT, aH, iT, iH, aS float64
			for _, k := range tPick {
				d := nearestPresent(tLists[k], w, -1)
				aT += b2f(d > dTT[k])
				iT += b2f(d < dTT[k])
			}
			for _, k := range hPick {
				d := nearestPresent(hLists[k], w, -1)
				aH += b2f(d > dHH[k])
				iH += b2f(d < dHH[k])
			}
			for _, k := range sPick {
				d := nearestPresent(sLists[k], w, sIdx[k])
				aS += b2f(dSH[k] > d) - b2f(dST[k] > d)
			}
			nt, nh, ns := float64(len(tPick)), float64(len(hPick)), float64(len(sPick))
			return (aH/nh - aT/nt + aS/ns) / 2, iT/nt - iH/nh
		}
		identity := func(n int) []int {
			out := make([]int, n)
			for i := range out {
				out[i] = i
			}
			return out
		}
		var lossV, identV float64
		var lossB, identB []float64
		if noAA == "" {
			all := make([]int, nS)
			for i := range all {
				all[i] = 1
			}
			lossV, identV = stats(all, identity(len(tpIdx)), identity(len(hIdx)), identity(len(sIdx)))
			if st8.Confidence > 0 {
				rng := boot.rng(Check{Name: "adversarial"})
				w := make([]int, nS)
				draw := func(n int) []int {
					out := make([]int, n)
					for i := range out {
						out[i] = rng.IntN(n)
					}
					return out
				}
				for range st8.Bootstrap {
					clear(w)
					for range nS {
						w[rng.IntN(nS)]++
					}
					var sPick []int
					for k, i := range sIdx {
						for range w[i] {
							sPick = append(sPick, k)
						}
					}
					if len(sPick) == 0 {
						continue
					}
					l, id := stats(w, draw(len(tpIdx)), draw(len(hIdx)), sPick)
					lossB, identB = append(lossB, l), append(identB, id)
				}
			}
		}
		add(boot.decide(Check{Name: "adversarial_privacy_loss", Threshold: pol.Adversarial.MaxPrivacyLoss, N: len(tpIdx) + len(hIdx) + len(sIdx), Note: noAA}, lossV, lossB))
		add(boot.decide(Check{Name: "identifiability_excess", Threshold: pol.Adversarial.MaxIdentifiabilityExcess, N: len(tpIdx) + len(hIdx), Note: noAA}, identV, identB))
	}
	return res, nil
}

// perPatient averages score(row) over each patient's images of the selected classes.
func perPatient(ss []Sample, in func(string) bool, score func(row int) float64) []float64 {
	sum := map[string]float64{}
	cnt := map[string]int{}
	var order []string
	for j, s := range ss {
		if !in(s.Class) {
			continue
		}
		if _, ok := cnt[s.Patient]; !ok {
			order = append(order, s.Patient)
		}
		sum[s.Patient] += score(j)
		cnt[s.Patient]++
	}
	out := make([]float64, len(order))
	for k, p := range order {
		out[k] = sum[p] / float64(cnt[p])
	}
	return out
}

// nearestPresent returns the distance of the first neighbour in nb that was drawn (w > 0) and is
// not self, or the last listed distance when none was.
func nearestPresent(nb []Neighbor, w []int, self int) float64 {
	for _, x := range nb {
		if x.Index != self && w[x.Index] > 0 {
			return x.Dist
		}
	}
	if len(nb) == 0 {
		return math.Inf(1)
	}
	return nb[len(nb)-1].Dist
}

func nnDist(nb []Neighbor) float64 {
	if len(nb) == 0 {
		return math.Inf(1)
	}
	return nb[0].Dist
}

// classList returns the classes of the synthetic images: a class with no synthetic image has
// nothing to release and nothing to check.
func classList(sets Sets) []string {
	seen := map[string]bool{}
	for _, s := range sets.Synthetic {
		seen[s.Class] = true
	}
	var out []string
	for c := range seen {
		if c != "" {
			out = append(out, c)
		}
	}
	sort.Strings(out)
	return out
}

func safeDiv(a, b float64) float64 {
	if b == 0 {
		if a == 0 {
			return 0
		}
		return math.Inf(1)
	}
	return a / b
}

// finite maps NaN and ±Inf to 0 so that values encode as JSON; checks on them carry a note.
func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func noteIf(cond bool, s string) string {
	if cond {
		return s
	}
	return ""
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
