package train

import (
	"context"
	"image"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func films32(rng *rand.Rand, n int) []float32 {
	out := make([]float32, n*32*32)
	for i := range out {
		out[i] = float32(rng.Float64()*2 - 1)
	}
	return out
}

// The nearest film is found across the blocks the training films are read in, from the
// 8-bit film file training uses, ties going to the lowest index.
func TestNearestByCorrelationAcrossBlocks(t *testing.T) {
	const side, n = 8, 2*correlationBlock + 300
	rng := rand.New(rand.NewPCG(3, 4))
	films, err := newFilmFile(t.TempDir(), side*side)
	if err != nil {
		t.Fatal(err)
	}
	defer films.close()
	img := image.NewGray(image.Rect(0, 0, side, side))
	var twin []uint8
	for i := range n {
		for j := range img.Pix {
			img.Pix[j] = uint8(rng.IntN(256))
		}
		switch i {
		case 5:
			twin = slices.Clone(img.Pix)
		case 2*correlationBlock + 7: // a copy of film 5 in the third block: the tie goes to 5
			copy(img.Pix, twin)
		}
		if err := films.add(img); err != nil {
			t.Fatal(err)
		}
	}
	if err := films.seal(); err != nil {
		t.Fatal(err)
	}
	pick := []int{5, correlationBlock + 11, n - 1}
	samples := make([]float32, 0, len(pick)*side*side)
	for _, j := range pick {
		f, err := films.Film(j, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range f {
			samples = append(samples, v+float32(0.05*rng.NormFloat64()))
		}
	}
	got, err := nearestByCorrelation(samples, len(pick), films, side*side)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, pick) {
		t.Errorf("nearest films %v, want %v", got, pick)
	}
}

// The README's failing demo run: 99 of 100 samples had the same nearest training film.
func TestSampleCheckCatchesNinetyNineOfHundred(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const pix = 32 * 32
	train := films32(rng, 200)
	samples := make([]float32, 100*pix)
	for k := 0; k < 100; k++ {
		src := 7
		if k == 99 {
			src = 8
		}
		for i := 0; i < pix; i++ { // the film with a little noise: not an exact copy
			samples[k*pix+i] = train[src*pix+i] + float32(0.3*rng.NormFloat64())
		}
	}
	sc, err := checkSamples(samples, 100, flatFilms{train, 200}, pix)
	if err != nil {
		t.Fatal(err)
	}
	if sc.DistinctNearest != 2 || sc.TopNearestShare != 0.99 {
		t.Fatalf("check: %+v", sc)
	}
	if len(sc.Warnings) == 0 || !strings.Contains(sc.Warnings[0], "few distinct nearest training films") {
		t.Errorf("no collapse warning: %+v", sc)
	}

	// samples near 100 different films, varying as much as the films: no warning
	for k := 0; k < 100; k++ {
		for i := 0; i < pix; i++ {
			samples[k*pix+i] = train[(2*k)*pix+i] + float32(0.3*rng.NormFloat64())
		}
	}
	if sc, err = checkSamples(samples, 100, flatFilms{train, 200}, pix); err != nil {
		t.Fatal(err)
	}
	if sc.DistinctNearest != 100 || len(sc.Warnings) != 0 {
		t.Errorf("diverse samples flagged: %+v", sc)
	}
}

// A generator after one epoch makes nearly the same film for every z: the check, run on the real
// training output, says so in the result and summary.json.
func TestTrainGANReportsCollapseOfUntrainedGenerator(t *testing.T) {
	w := tinyWorkspace(t, 32, map[string]int{"normal": 12})
	res, err := TrainGAN(context.Background(), tinyConfig(w, 1))
	if err != nil {
		t.Fatal(err)
	}
	sc := res.Classes[0].SampleCheck
	if sc == nil || sc.Samples != gridCount || sc.TrainFilms != 12 {
		t.Fatalf("sample check: %+v", sc)
	}
	found := false
	for _, w := range res.Classes[0].Warnings {
		found = found || strings.Contains(w, "few distinct nearest training films") || strings.Contains(w, "little diversity")
	}
	if !found {
		t.Errorf("no collapse warning after one epoch: %+v %v", sc, res.Classes[0].Warnings)
	}
}

func TestLatestGridByEpochNumber(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"epoch-800.png", "epoch-1000.png", "epoch-999.png"} {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if got := latestGrid(dir); filepath.Base(got) != "epoch-1000.png" {
		t.Errorf("latest grid %s, want epoch-1000.png", got)
	}
}
