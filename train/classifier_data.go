package train

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/raysynth/raysynth/internal/imageio"
	"github.com/raysynth/raysynth/internal/workspace"
)

// Synthetic sets a classifier can train on: the index.csv files synth and the privacy gate write
// (read with workspace.ReadSynthIndex; Workspace.CandidatesIndexPath and ApprovedIndexPath).
const (
	SyntheticApproved   = "approved"   // approved/index.csv: images that passed the privacy gate
	SyntheticCandidates = "candidates" // synth/index.csv: every generated candidate
)

// ErrNoSynthetic is returned when a synthetic set is asked for but the workspace has none.
var ErrNoSynthetic = errors.New("no synthetic image set")

// Example is one image with its class: a handle on a row of a compact table that the examples
// of one loaded set share (their ids one after another, their patients each once, their pixels on
// disk as 8-bit values, see filmFile). A set of any size therefore costs a few dozen bytes per
// image, and a copy of a slice of examples (a split, a subset) 16 bytes per image (issue 20).
// The zero Example has class 0 and no id, group or pixels.
type Example struct {
	t     *exampleTable
	class int32
	row   int32
}

// Class is the image's class (an index into the classes it was loaded with).
func (e Example) Class() int { return int(e.class) }

// WithClass returns the example with class c (e.g. mapped to another class list).
func (e Example) WithClass(c int) Example {
	e.class = int32(c)
	return e
}

// exampleTable is the shared part of a set of examples, one row per image (struct of arrays).
type exampleTable struct {
	ids       []byte   // the ids, one after another
	idEnd     []uint32 // row i's id is ids[idEnd[i-1]:idEnd[i]]
	group     []int32  // row i's patient in groups; nil: each image is its own group
	groups    []string // patient pseudonyms, each once
	synthetic bool
	films     filmSet // row i's pixels are film i
}

func (t *exampleTable) id(row int32) []byte {
	var from uint32
	if row > 0 {
		from = t.idEnd[row-1]
	}
	return t.ids[from:t.idEnd[row]]
}

func (t *exampleTable) addID(id string) error {
	if len(t.ids)+len(id) > math.MaxUint32 {
		return fmt.Errorf("image ids longer than %d bytes in all", uint32(math.MaxUint32))
	}
	t.ids = append(t.ids, id...)
	t.idEnd = append(t.idEnd, uint32(len(t.ids)))
	return nil
}

// NewExample returns an example held in memory: its own one-image set with the pixels pix
// (Size·Size values in [-1, 1], not copied; nil for none). The loaders ([LoadReal],
// [LoadSynthetic]) make compact sets from a workspace instead.
func NewExample(id, group string, class int, pix []float32) Example {
	t := &exampleTable{groups: []string{group}, group: []int32{0}, films: flatFilms{pix, 1}}
	t.addID(id)
	return Example{class: int32(class), t: t}
}

// ID is the image's pseudonym.
func (e Example) ID() string {
	if e.t == nil {
		return ""
	}
	return string(e.t.id(e.row))
}

// Group is what [SplitValidation] keeps together: the patient pseudonym of a real image, the
// image's id for a synthetic one.
func (e Example) Group() string {
	switch {
	case e.t == nil:
		return ""
	case e.t.group == nil:
		return e.ID()
	}
	return e.t.groups[e.t.group[e.row]]
}

// Synthetic reports whether the image is a generated one.
func (e Example) Synthetic() bool { return e.t != nil && e.t.synthetic }

// Pixels returns the image's Size·Size values in [-1, 1], read into dst (grown when too small).
func (e Example) Pixels(dst []float32) ([]float32, error) {
	if e.t == nil || e.t.films == nil {
		return dst[:0], nil
	}
	px, err := e.t.films.Film(int(e.row), dst)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", e.ID(), err)
	}
	return px, nil
}

// classIndex maps class names to indices.
func classIndex(classes []string) map[string]int {
	m := make(map[string]int, len(classes))
	for i, c := range classes {
		m[c] = i
	}
	return m
}

// LoadReal loads the real images of the given split ("" for both), in id order. Images of a
// class outside classes are an error. It reads the index a row at a time and keeps of each image
// its id, patient (interned) and class in a compact table, and its pixels on disk (see
// [Example]).
func LoadReal(w *workspace.Workspace, classes []string, size int, split string) ([]Example, error) {
	ci := classIndex(classes)
	t := &exampleTable{}
	patient := map[string]int32{}
	var out []Example // in index order, sorted by id below
	err := w.EachRealImage(func(r workspace.RealImage) error {
		if split != "" && r.Split != split {
			return nil
		}
		c, ok := ci[r.Class]
		if !ok {
			return fmt.Errorf("%s: image %s has class %q, not one of the workspace's classes %v", w.RealIndexPath(), r.ID, r.Class, classes)
		}
		if len(t.idEnd) == math.MaxInt32 {
			return fmt.Errorf("%s: more than %d images", w.RealIndexPath(), math.MaxInt32)
		}
		if err := t.addID(r.ID); err != nil {
			return fmt.Errorf("%s: %w", w.RealIndexPath(), err)
		}
		p, ok := patient[r.Patient]
		if !ok {
			p = int32(len(t.groups))
			t.groups = append(t.groups, strings.Clone(r.Patient))
			patient[t.groups[p]] = p
		}
		t.group = append(t.group, p)
		out = append(out, Example{t: t, class: int32(c), row: int32(len(t.idEnd) - 1)})
		return nil
	})
	if err != nil {
		return nil, err
	}
	patient = nil
	// film i is the image of row i
	films, err := newFilmFile(w.Dir, size*size)
	if err != nil {
		return nil, err
	}
	t.films = films
	for row := range int32(len(t.idEnd)) {
		p := w.RealImagePath(string(t.id(row)))
		img, err := imageio.ReadGray(p)
		if err != nil {
			return nil, err
		}
		if img, err = fitSize(img, size); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		if err := films.add(img); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
	}
	if err := films.seal(); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b Example) int { return bytes.Compare(t.id(a.row), t.id(b.row)) })
	return out, nil
}

// syntheticIndexPath returns the index of a synthetic set.
func syntheticIndexPath(w *workspace.Workspace, which string) (string, error) {
	switch which {
	case SyntheticApproved:
		return w.ApprovedIndexPath(), nil
	case SyntheticCandidates:
		return w.CandidatesIndexPath(), nil
	}
	return "", fmt.Errorf("synthetic set %q: want %s or %s", which, SyntheticApproved, SyntheticCandidates)
}

// loadSynthetic loads a synthetic set of the workspace. Classes the model does not know are
// skipped and counted in skipped.
func LoadSynthetic(w *workspace.Workspace, which string, classes []string, size int) (ex []Example, skipped map[string]int, err error) {
	p, err := syntheticIndexPath(w, which)
	if err != nil {
		return nil, nil, err
	}
	rows, err := workspace.ReadSynthIndex(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("%s: %w", p, ErrNoSynthetic)
		}
		return nil, nil, err
	}
	ci := classIndex(classes)
	dir := filepath.Dir(p)
	films, err := newFilmFile(w.Dir, size*size)
	if err != nil {
		return nil, nil, err
	}
	t := &exampleTable{synthetic: true, films: films}
	skipped = map[string]int{}
	for i, r := range rows {
		c, ok := ci[r.Class]
		if !ok {
			skipped[r.Class]++
			continue
		}
		clean := path.Clean(r.File)
		if r.File == "" || path.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") || strings.Contains(r.File, `\`) {
			return nil, nil, fmt.Errorf("%s: row %d: file %q is not a relative path inside the set", p, i+2, r.File)
		}
		f := filepath.Join(dir, filepath.FromSlash(clean))
		img, err := imageio.ReadGray(f)
		if err != nil {
			return nil, nil, err
		}
		if img, err = fitSize(img, size); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", f, err)
		}
		if err := films.add(img); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", f, err)
		}
		if err := t.addID(r.ID); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", p, err)
		}
		ex = append(ex, Example{t: t, class: int32(c), row: int32(films.Len() - 1)})
	}
	if err := films.seal(); err != nil {
		return nil, nil, err
	}
	if len(ex) == 0 {
		return nil, nil, fmt.Errorf("%s lists no image of the classes %v: %w", p, classes, ErrNoSynthetic)
	}
	return ex, skipped, nil
}

// classCounts counts examples per class.
func ClassCounts(ex []Example, k int) []int {
	n := make([]int, k)
	for _, e := range ex {
		n[e.Class()]++
	}
	return n
}

// SplitValidation carves a validation subset from real training examples by patient: every
// image of a chosen patient goes to validation. Patients are stratified by their most frequent
// class; each class keeps at least one patient for training, and a class with a single patient
// gives none to validation. The choice depends only on the seed and the examples.
func SplitValidation(ex []Example, frac float64, seed uint64) (train, val []Example) {
	if frac <= 0 {
		return ex, nil
	}
	// patients numbered in order of appearance; per patient a count per class (flat)
	k := 0
	for _, e := range ex {
		k = max(k, e.Class()+1)
	}
	num := map[string]int32{}
	var names []string
	of := make([]int32, len(ex))
	var counts []int32
	for i, e := range ex {
		g := e.Group()
		p, ok := num[g]
		if !ok {
			p = int32(len(names))
			num[g] = p
			names = append(names, g)
			counts = append(counts, make([]int32, k)...)
		}
		of[i] = p
		counts[int(p)*k+e.Class()]++
	}
	num = nil
	order := make([]int32, len(names))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return strings.Compare(names[a], names[b]) })
	byClass := map[int][]int32{}
	for _, p := range order {
		best, bestN := -1, int32(-1)
		for c, n := range counts[int(p)*k : int(p+1)*k] {
			if n > 0 && n > bestN {
				best, bestN = c, n
			}
		}
		byClass[best] = append(byClass[best], p)
	}
	rng := rand.New(rand.NewPCG(seed, 0x7a11d))
	inVal := make([]bool, len(names))
	classes := make([]int, 0, len(byClass))
	for c := range byClass {
		classes = append(classes, c)
	}
	slices.Sort(classes)
	nVal := 0
	for _, c := range classes {
		ids := byClass[c]
		if len(ids) < 2 {
			continue
		}
		n := min(int(math.Round(frac*float64(len(ids)))), len(ids)-1)
		if n == 0 {
			n = 1
		}
		for _, j := range rng.Perm(len(ids))[:n] {
			inVal[ids[j]] = true
		}
	}
	for _, p := range of {
		if inVal[p] {
			nVal++
		}
	}
	train, val = make([]Example, 0, len(ex)-nVal), make([]Example, 0, nVal)
	for i, e := range ex {
		if inVal[of[i]] {
			val = append(val, e)
		} else {
			train = append(train, e)
		}
	}
	return train, val
}

// FingerprintExamples writes examples' ids, classes and pixels (as float32 bits), in order, to a
// hash.
func FingerprintExamples(h io.Writer, tag string, ex []Example) error {
	fmt.Fprintf(h, "%s %d\n", tag, len(ex))
	buf := make([]byte, 0, 4*4096)
	var px []float32
	for _, e := range ex {
		fmt.Fprintf(h, "%s,%d,%t\n", e.ID(), e.Class(), e.Synthetic())
		v, err := e.Pixels(px)
		if err != nil {
			return err
		}
		px = v
		buf = buf[:0]
		for _, v := range v {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
		}
		h.Write(buf)
	}
	return nil
}

// Fingerprint hashes the settings and the named sets of examples (see [FingerprintExamples]).
func Fingerprint(settings string, sets map[string][]Example) (string, error) {
	h := sha256.New()
	h.Write([]byte(settings))
	keys := make([]string, 0, len(sets))
	for k := range sets {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if err := FingerprintExamples(h, k, sets[k]); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// augment writes into dst a lightly transformed copy of src (size×size): a shift of up to 6% of
// the side, a rotation of up to ±7°, and a contrast and brightness change of up to ±15% and ±0.08.
// There is no flip: anatomy is not mirror-symmetric (the heart lies on the patient's left).
func augment(dst, src []float32, size int, rng *rand.Rand) {
	maxShift := 0.06 * float64(size)
	tx := (2*rng.Float64() - 1) * maxShift
	ty := (2*rng.Float64() - 1) * maxShift
	th := (2*rng.Float64() - 1) * 7 * math.Pi / 180
	gain := 1 + (2*rng.Float64()-1)*0.15
	bias := (2*rng.Float64() - 1) * 0.08
	var mean float64
	for _, v := range src {
		mean += float64(v)
	}
	mean /= float64(len(src))
	c := float64(size-1) / 2
	cos, sin := math.Cos(th), math.Sin(th)
	at := func(x, y int) float64 {
		x = min(max(x, 0), size-1)
		y = min(max(y, 0), size-1)
		return float64(src[y*size+x])
	}
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			u, v := float64(x)-c-tx, float64(y)-c-ty
			sx, sy := cos*u+sin*v+c, -sin*u+cos*v+c
			x0, y0 := int(math.Floor(sx)), int(math.Floor(sy))
			fx, fy := sx-float64(x0), sy-float64(y0)
			val := (1-fy)*((1-fx)*at(x0, y0)+fx*at(x0+1, y0)) + fy*((1-fx)*at(x0, y0+1)+fx*at(x0+1, y0+1))
			val = (val-mean)*gain + mean + bias
			dst[y*size+x] = float32(min(max(val, -1), 1))
		}
	}
}
