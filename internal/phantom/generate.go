package phantom

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/raysynth/raysynth/internal/fsutil"
	"github.com/raysynth/raysynth/internal/imageio"
	"github.com/raysynth/raysynth/internal/progress"
)

// Version identifies the renderer; it changes whenever the same seed would give different pixels.
const Version = "1"

// ContactSheetPath is where the contact sheet is written, relative to the output folder. It lives
// in a dot-folder, which ingest skips, so that ingesting the folder does not take it for a film.
const ContactSheetPath = ".preview/contact-sheet.png"

// ErrExists is returned when the output folder exists and Config.Replace is false.
var ErrExists = errors.New("output folder already exists")

// DefaultMix is the default class balance, imbalanced like real chest X-ray collections: normal
// films are the most frequent, edema and pneumothorax rare.
func DefaultMix() map[string]float64 {
	return map[string]float64{Normal: 0.50, Effusion: 0.18, Cardiomegaly: 0.16, Pneumothorax: 0.08, Edema: 0.08}
}

// Config describes a phantom data set.
type Config struct {
	Out      string             // output folder; created atomically
	Replace  bool               // replace Out if it exists
	Count    int                // total number of films
	Seed     uint64             // every random choice derives from it
	Size     int                // image width and height in pixels
	MinFilms int                // films per patient, at least
	MaxFilms int                // films per patient, at most
	Mix      map[string]float64 // class → weight (normalised); nil means DefaultMix
	Progress progress.Reporter  // optional
	Log      *slog.Logger       // optional
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	if c.Out == "" {
		return errors.New("no output folder given")
	}
	if c.Count < 1 {
		return fmt.Errorf("count must be at least 1, not %d", c.Count)
	}
	if c.Count > 1_000_000 {
		return fmt.Errorf("count %d is too large (at most 1000000)", c.Count)
	}
	if c.Size < 16 || c.Size > 2048 {
		return fmt.Errorf("size must be between 16 and 2048 pixels, not %d", c.Size)
	}
	if c.MinFilms < 1 || c.MaxFilms < c.MinFilms || c.MaxFilms > 99 {
		return fmt.Errorf("films per patient must satisfy 1 <= min <= max <= 99, not %d-%d", c.MinFilms, c.MaxFilms)
	}
	if c.Mix != nil {
		total := 0.0
		for k, w := range c.Mix {
			if !knownClass(k) {
				return fmt.Errorf("unknown class %q in mix (known: %s)", k, strings.Join(Classes, ", "))
			}
			if w < 0 || math.IsNaN(w) || math.IsInf(w, 0) {
				return fmt.Errorf("weight of class %s must be a non-negative number, not %v", k, w)
			}
			total += w
		}
		if total <= 0 {
			return errors.New("mix has no class with a positive weight")
		}
	}
	return nil
}

// ParseMix parses "normal=0.5,effusion=0.2,…" into class weights. Weights need not sum to one.
func ParseMix(s string) (map[string]float64, error) {
	mix := map[string]float64{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("mix entry %q is not class=weight", part)
		}
		k = strings.ToLower(strings.TrimSpace(k))
		if !knownClass(k) {
			return nil, fmt.Errorf("unknown class %q in mix (known: %s)", k, strings.Join(Classes, ", "))
		}
		if _, dup := mix[k]; dup {
			return nil, fmt.Errorf("class %s appears twice in mix", k)
		}
		w, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || w < 0 || math.IsNaN(w) || math.IsInf(w, 0) {
			return nil, fmt.Errorf("weight of class %s must be a non-negative number, not %q", k, strings.TrimSpace(v))
		}
		mix[k] = w
	}
	if len(mix) == 0 {
		return nil, errors.New("empty mix")
	}
	return mix, nil
}

// ParseRange parses "3" or "2-4" into a minimum and maximum.
func ParseRange(s string) (lo, hi int, err error) {
	a, b, isRange := strings.Cut(strings.TrimSpace(s), "-")
	lo, err = strconv.Atoi(strings.TrimSpace(a))
	if err != nil {
		return 0, 0, fmt.Errorf("%q is not a number or a range like 2-4", s)
	}
	hi = lo
	if isRange {
		hi, err = strconv.Atoi(strings.TrimSpace(b))
		if err != nil {
			return 0, 0, fmt.Errorf("%q is not a number or a range like 2-4", s)
		}
	}
	if lo < 1 || hi < lo {
		return 0, 0, fmt.Errorf("range %q must satisfy 1 <= min <= max", s)
	}
	return lo, hi, nil
}

// Summary describes a written phantom set; it is also stored as phantom.json.
type Summary struct {
	Out              string             `json:"out"`
	Labels           string             `json:"labels"`
	ContactSheet     string             `json:"contact_sheet"`
	Generator        string             `json:"generator"`
	Seed             uint64             `json:"seed"`
	Size             int                `json:"size"`
	FilmsPerPatient  [2]int             `json:"films_per_patient"`
	Mix              map[string]float64 `json:"mix"`
	Films            int                `json:"films"`
	Patients         int                `json:"patients"`
	PerClass         map[string]int     `json:"per_class"`
	PatientsPerClass map[string]int     `json:"patients_per_class"`
	Note             string             `json:"note"`
}

// planned is one phantom patient in the plan: its class, films and seed.
type planned struct {
	id    string
	class string
	films int
	seed  uint64
}

// classCounts splits count films over the classes by weight (largest remainder), giving every
// class with a positive weight at least one film when count allows.
func classCounts(count int, mix map[string]float64) map[string]int {
	var classes []string
	total := 0.0
	for _, c := range Classes {
		if mix[c] > 0 {
			classes = append(classes, c)
			total += mix[c]
		}
	}
	out := map[string]int{}
	type rem struct {
		c string
		r float64
	}
	var rems []rem
	used := 0
	for _, c := range classes {
		exact := float64(count) * mix[c] / total
		n := int(math.Floor(exact))
		out[c] = n
		used += n
		rems = append(rems, rem{c, exact - float64(n)})
	}
	sort.SliceStable(rems, func(i, j int) bool { return rems[i].r > rems[j].r })
	for i := 0; used < count; i++ {
		out[rems[i%len(rems)].c]++
		used++
	}
	// every class present at least once, taken from the largest
	for _, c := range classes {
		if out[c] > 0 || count < len(classes) {
			continue
		}
		big := classes[0]
		for _, k := range classes {
			if out[k] > out[big] {
				big = k
			}
		}
		out[big]--
		out[c]++
	}
	return out
}

// plan decides the patients: per class, films are grouped into patients of MinFilms..MaxFilms
// films; patient ids are then shuffled so they do not reveal the class.
func plan(c *Config, mix map[string]float64) []planned {
	r := rand.New(rand.NewPCG(c.Seed, 0x91a9))
	counts := classCounts(c.Count, mix)
	var ps []planned
	for _, class := range Classes {
		left := counts[class]
		for left > 0 {
			n := c.MinFilms + r.IntN(c.MaxFilms-c.MinFilms+1)
			n = min(n, left)
			ps = append(ps, planned{class: class, films: n, seed: r.Uint64()})
			left -= n
		}
	}
	r.Shuffle(len(ps), func(i, j int) { ps[i], ps[j] = ps[j], ps[i] })
	width := max(4, len(strconv.Itoa(len(ps))))
	for i := range ps {
		ps[i].id = fmt.Sprintf("ph%0*d", width, i+1)
	}
	return ps
}

// Generate writes the phantom set described by cfg and returns its summary.
func Generate(ctx context.Context, cfg Config) (*Summary, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Out = filepath.Clean(cfg.Out) // "DIR/" must not put the temporary folder inside DIR
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if _, err := os.Lstat(cfg.Out); err == nil && !cfg.Replace {
		return nil, fmt.Errorf("write phantoms to %s: %w", cfg.Out, ErrExists)
	}
	mix := cfg.Mix
	if mix == nil {
		mix = DefaultMix()
	}
	tmp, err := fsutil.TempDir(cfg.Out)
	if err != nil {
		return nil, err
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(tmp)
		}
	}()
	imgDir := filepath.Join(tmp, "images")
	if err := os.MkdirAll(imgDir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", imgDir, err)
	}

	if err := os.MkdirAll(filepath.Join(tmp, filepath.Dir(filepath.FromSlash(ContactSheetPath))), 0o755); err != nil {
		return nil, fmt.Errorf("create preview folder: %w", err)
	}
	ps := plan(&cfg, mix)
	sum := &Summary{
		Out: cfg.Out, Labels: filepath.Join(cfg.Out, "labels.csv"), ContactSheet: filepath.Join(cfg.Out, filepath.FromSlash(ContactSheetPath)),
		Generator: "raysynth-phantom/" + Version, Seed: cfg.Seed, Size: cfg.Size,
		FilmsPerPatient: [2]int{cfg.MinFilms, cfg.MaxFilms}, Mix: normalise(mix),
		PerClass: map[string]int{}, PatientsPerClass: map[string]int{},
		Note: "synthetic phantoms for demos and tests only; not for research",
	}
	task := progress.OrNop(cfg.Progress).Start("phantom", int64(cfg.Count), "images")
	defer task.Done()

	var rows [][]string
	sheet := map[string][]*image.Gray{} // first film of the first two patients per class
	for _, pl := range ps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p, err := NewPatient(pl.class, pl.seed)
		if err != nil {
			return nil, err
		}
		sum.Patients++
		sum.PatientsPerClass[pl.class]++
		for j := 0; j < pl.films; j++ {
			img := p.Render(p.FilmParams(j), cfg.Size)
			name := fmt.Sprintf("%s_%02d.png", pl.id, j+1)
			if _, err := imageio.WriteGray(filepath.Join(imgDir, name), img); err != nil {
				return nil, fmt.Errorf("write phantom image %s: %w", name, err)
			}
			rows = append(rows, []string{"images/" + name, pl.class, pl.id})
			sum.Films++
			sum.PerClass[pl.class]++
			if j == 0 && len(sheet[pl.class]) < 2 {
				sheet[pl.class] = append(sheet[pl.class], img)
			}
			task.Add(1)
		}
	}
	slices.SortFunc(rows, func(a, b []string) int { return strings.Compare(a[0], b[0]) })

	var tiles []Tile
	for _, row := range [2]int{0, 1} {
		for _, c := range Classes {
			if imgs := sheet[c]; row < len(imgs) {
				tiles = append(tiles, Tile{c, imgs[row]})
			}
		}
	}
	cols := 0
	for _, c := range Classes {
		if len(sheet[c]) > 0 {
			cols++
		}
	}
	if _, err := imageio.WriteGray(filepath.Join(tmp, filepath.FromSlash(ContactSheetPath)), ContactSheet(tiles, cols)); err != nil {
		return nil, fmt.Errorf("write contact sheet: %w", err)
	}

	// phantom.json records the settings, not where the set was written, so that it stays
	// byte-identical wherever it is written
	rec := *sum
	rec.Out, rec.Labels, rec.ContactSheet = ".", "labels.csv", ContactSheetPath
	meta, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := fsutil.WriteFile(filepath.Join(tmp, "phantom.json"), append(meta, '\n'), 0o644); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"file", "label", "patient"})
	_ = w.WriteAll(rows)
	if err := w.Error(); err != nil {
		return nil, err
	}
	if err := fsutil.WriteFile(filepath.Join(tmp, "labels.csv"), buf.Bytes(), 0o644); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := fsutil.CommitDir(tmp, cfg.Out, cfg.Replace); err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("write phantoms to %s: %w", cfg.Out, ErrExists)
		}
		return nil, err
	}
	done = true
	log.Info("phantoms written", "films", sum.Films, "patients", sum.Patients, "seed", cfg.Seed)
	return sum, nil
}

func normalise(mix map[string]float64) map[string]float64 {
	total := 0.0
	for _, w := range mix {
		total += w
	}
	out := map[string]float64{}
	for k, w := range mix {
		if w > 0 {
			out[k] = math.Round(w/total*1e6) / 1e6
		}
	}
	return out
}

// Sample renders n films of one class in memory, from n/3 (rounded up) phantom patients of
// three films each, for tests of other packages that need labelled images without a folder.
func Sample(class string, n, size int, seed uint64) ([]*image.Gray, error) {
	if size < 16 {
		return nil, fmt.Errorf("size must be at least 16, not %d", size)
	}
	r := rand.New(rand.NewPCG(seed, 0x5a3b1e))
	var out []*image.Gray
	for len(out) < n {
		p, err := NewPatient(class, r.Uint64())
		if err != nil {
			return nil, err
		}
		for j := 0; j < 3 && len(out) < n; j++ {
			out = append(out, p.Render(p.FilmParams(j), size))
		}
	}
	return out, nil
}
