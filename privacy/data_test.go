package privacy

import (
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/raysynth/raysynth/internal/datatest"
	"github.com/raysynth/raysynth/internal/imageio"
	"github.com/raysynth/raysynth/internal/workspace"
)

// realImage is one shared image with its label and patient.
type realImage struct {
	file, class, patient string
	img                  *image.Gray
}

// loadShared reads a shared data set at size×size: "nih" (classes normal/abnormal) or
// "kermany" (classes normal/bacteria/virus, downsampled from 128).
func loadShared(t testing.TB, set string, size int) []realImage {
	t.Helper()
	dir := filepath.Join(datatest.Require(t), map[string]string{"nih": "nih1000_64", "kermany": "kermany_128"}[set])
	f, err := os.Open(filepath.Join(dir, "labels.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	out := make([]realImage, len(rows)-1)
	var wg sync.WaitGroup
	errs := make([]error, len(out))
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(out); i += 4 {
				r := rows[i+1]
				m := realImage{file: r[0]}
				if set == "nih" {
					m.patient = "p" + r[col["patient_id"]]
					m.class = "abnormal"
					if r[col["normal"]] == "1" {
						m.class = "normal"
					}
				} else {
					m.patient = r[col["patient_key"]]
					m.class = r[col["subtype"]]
				}
				g, err := imageio.ReadGray(filepath.Join(dir, "images", r[0]))
				if err != nil {
					errs[i] = err
					continue
				}
				m.img = resizeBox(g, size)
				out[i] = m
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// resizeBox downsamples by an integer factor with a box filter (or returns g at its size).
func resizeBox(g *image.Gray, size int) *image.Gray {
	w := g.Rect.Dx()
	if w == size {
		return g
	}
	f := w / size
	out := image.NewGray(image.Rect(0, 0, size, size))
	for y := range size {
		for x := range size {
			s := 0
			for dy := range f {
				for dx := range f {
					s += int(g.Pix[(y*f+dy)*g.Stride+x*f+dx])
				}
			}
			out.Pix[y*size+x] = uint8((s + f*f/2) / (f * f))
		}
	}
	return out
}

// splitPatients assigns each patient to train (fraction trainFrac) or holdout, seeded.
func splitPatients(imgs []realImage, trainFrac float64, seed uint64) (train, holdout []realImage) {
	var pats []string
	seen := map[string]bool{}
	for _, m := range imgs {
		if !seen[m.patient] {
			seen[m.patient] = true
			pats = append(pats, m.patient)
		}
	}
	slices.Sort(pats)
	rng := rand.New(rand.NewPCG(seed, 1))
	rng.Shuffle(len(pats), func(i, j int) { pats[i], pats[j] = pats[j], pats[i] })
	inTrain := map[string]bool{}
	for _, p := range pats[:int(math.Round(trainFrac*float64(len(pats))))] {
		inTrain[p] = true
	}
	for _, m := range imgs {
		if inTrain[m.patient] {
			train = append(train, m)
		} else {
			holdout = append(holdout, m)
		}
	}
	return train, holdout
}

// testWorkspace writes a workspace from shared images: train and holdout as real images, synth
// as candidates (synth/index.csv + synth/candidates/<class>/<id>.png).
func testWorkspace(t testing.TB, size int, train, holdout, synth []realImage) *workspace.Workspace {
	t.Helper()
	ws, err := workspace.Init(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	classes := map[string]bool{}
	var real []workspace.RealImage
	add := func(ms []realImage, split string) {
		for _, m := range ms {
			id := "r-" + strings.TrimSuffix(m.file, filepath.Ext(m.file))
			b, err := imageio.WriteGray(ws.RealImagePath(id), m.img)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(b)
			real = append(real, workspace.RealImage{ID: id, Patient: "p-" + m.patient, Class: m.class, Split: split, SHA256: hex.EncodeToString(sum[:]), SourceKind: "png"})
			classes[m.class] = true
		}
	}
	add(train, workspace.SplitTrain)
	add(holdout, workspace.SplitHoldout)
	if err := ws.WriteRealIndex(real); err != nil {
		t.Fatal(err)
	}
	var rows []workspace.SynthImage
	for i, m := range synth {
		id := fmt.Sprintf("s-%s-%05d", m.class, i)
		rel := "candidates/" + m.class + "/" + id + ".png"
		b, err := imageio.WriteGray(filepath.Join(ws.Path("synth"), filepath.FromSlash(rel)), m.img)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		rows = append(rows, workspace.SynthImage{ID: id, Class: m.class, File: rel, SHA256: hex.EncodeToString(sum[:]), Generator: "test", Seed: 1, Sample: int64(i)})
	}
	if len(rows) > 0 {
		if err := workspace.WriteSynthIndex(ws.CandidatesIndexPath(), rows); err != nil {
			t.Fatal(err)
		}
	}
	var cl []string
	for c := range classes {
		cl = append(cl, c)
	}
	slices.Sort(cl)
	if err := ws.SaveMeta(workspace.Meta{ImageSize: size, Classes: cl, Seed: 42}); err != nil {
		t.Fatal(err)
	}
	return ws
}
