package train

import (
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

// Synthetic sets a classifier can train on (contract C2).
const (
	SyntheticApproved   = "approved"   // approved/index.csv: images that passed the privacy gate
	SyntheticCandidates = "candidates" // synth/index.csv: every generated candidate
)

// ErrNoSynthetic is returned when a synthetic set is asked for but the workspace has none.
var ErrNoSynthetic = errors.New("no synthetic image set")

// Example is one image with its class. The loaders ([LoadReal], [LoadSynthetic]) leave Pix
// unset and keep the pixels on disk as 8-bit values (see filmFile), so that a set of any size
// costs a few dozen bytes per image in memory; [Example.Pixels] reads them back.
type Example struct {
	ID        string
	Pix       []float32 // Size·Size values in [-1, 1] held in memory; nil when the pixels are on disk
	Class     int
	Group     string // patient pseudonym; the image id for synthetic images
	Synthetic bool

	films *filmFile // where the pixels are when Pix is nil
	at    int       // the image's number in films
}

// Pixels returns the image's Size·Size values in [-1, 1]: Pix itself when it is set (do not
// change it), otherwise the pixels read from disk into dst (grown when too small).
func (e Example) Pixels(dst []float32) ([]float32, error) {
	if e.films == nil {
		return e.Pix, nil
	}
	px, err := e.films.Film(e.at, dst)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", e.ID, err)
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

// loadReal loads the real images of the given split ("" for both), in index (id) order. Images of
// a class outside classes are an error.
func LoadReal(w *workspace.Workspace, classes []string, size int, split string) ([]Example, error) {
	rows, err := w.ReadRealIndex()
	if err != nil {
		return nil, err
	}
	ci := classIndex(classes)
	slices.SortFunc(rows, func(a, b workspace.RealImage) int { return strings.Compare(a.ID, b.ID) })
	films, err := newFilmFile(w.Dir, size*size)
	if err != nil {
		return nil, err
	}
	var out []Example
	for _, r := range rows {
		if split != "" && r.Split != split {
			continue
		}
		c, ok := ci[r.Class]
		if !ok {
			return nil, fmt.Errorf("%s: image %s has class %q, not one of the workspace's classes %v", w.RealIndexPath(), r.ID, r.Class, classes)
		}
		img, err := imageio.ReadGray(w.RealImagePath(r.ID))
		if err != nil {
			return nil, err
		}
		if img, err = fitSize(img, size); err != nil {
			return nil, fmt.Errorf("%s: %w", w.RealImagePath(r.ID), err)
		}
		if err := films.add(img); err != nil {
			return nil, fmt.Errorf("%s: %w", w.RealImagePath(r.ID), err)
		}
		out = append(out, Example{ID: r.ID, Class: c, Group: r.Patient, films: films, at: films.Len() - 1})
	}
	if err := films.seal(); err != nil {
		return nil, err
	}
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
		ex = append(ex, Example{ID: r.ID, Class: c, Group: r.ID, Synthetic: true, films: films, at: films.Len() - 1})
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
		n[e.Class]++
	}
	return n
}

// splitValidation carves a validation subset from real training examples by patient: every
// image of a chosen patient goes to validation. Patients are stratified by their most frequent
// class; each class keeps at least one patient for training, and a class with a single patient
// gives none to validation. The choice depends only on the seed and the examples.
func SplitValidation(ex []Example, frac float64, seed uint64) (train, val []Example) {
	if frac <= 0 {
		return ex, nil
	}
	type pat struct {
		id     string
		counts map[int]int
	}
	pats := map[string]*pat{}
	var order []string
	for _, e := range ex {
		p := pats[e.Group]
		if p == nil {
			p = &pat{id: e.Group, counts: map[int]int{}}
			pats[e.Group] = p
			order = append(order, e.Group)
		}
		p.counts[e.Class]++
	}
	slices.Sort(order)
	byClass := map[int][]string{}
	for _, id := range order {
		p := pats[id]
		best, bestN := -1, -1
		for c, n := range p.counts {
			if n > bestN || (n == bestN && c < best) {
				best, bestN = c, n
			}
		}
		byClass[best] = append(byClass[best], id)
	}
	rng := rand.New(rand.NewPCG(seed, 0x7a11d))
	inVal := map[string]bool{}
	classes := make([]int, 0, len(byClass))
	for c := range byClass {
		classes = append(classes, c)
	}
	slices.Sort(classes)
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
	for _, e := range ex {
		if inVal[e.Group] {
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
		fmt.Fprintf(h, "%s,%d,%t\n", e.ID, e.Class, e.Synthetic)
		v, err := e.Pixels(px)
		if err != nil {
			return err
		}
		if e.Pix == nil {
			px = v
		}
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
