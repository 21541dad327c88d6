package train

import (
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// TestLossPlotShowsEpochsSmoothingAndWarnings trains a tiny GAN for four epochs and reads the
// loss.png it wrote: strong and faint curves of both colours, and the warning colour exactly when
// train-log.jsonl has a collapse warning. Then it redraws the same log with a warning in epoch 2
// only and finds the dashed ends of epochs 1 and 3 with the orange line half way between them.
func TestLossPlotShowsEpochsSmoothingAndWarnings(t *testing.T) {
	w := tinyWorkspace(t, 32, map[string]int{"normal": 16})
	if _, err := TrainGAN(context.Background(), tinyConfig(w, 4)); err != nil {
		t.Fatal(err)
	}
	dir := w.GANDir("normal")
	entries, err := readLog(filepath.Join(dir, LogFile), 4)
	if err != nil {
		t.Fatal(err)
	}
	warned := false
	for _, e := range entries {
		warned = warned || (e.Type == "epoch" && len(e.Warning) > 0)
	}
	img := readPNG(t, filepath.Join(dir, LossPlotFile))
	for name, c := range map[string]color.RGBA{"discriminator": lossColorD, "generator": lossColorG} {
		if n := countNear(img, c, 40); n < 200 {
			t.Errorf("smoothed %s curve: %d pixels of its colour", name, n)
		}
		if n := countNear(img, blendWhite(faint(c)), 25); n < 50 {
			t.Errorf("raw %s curve: %d faint pixels", name, n)
		}
	}
	if n := countNear(img, lossColorWarning, 40); (n > 0) != warned {
		t.Errorf("warning colour: %d pixels, but the log has warnings = %v", n, warned)
	}

	for i := range entries {
		entries[i].Warning = nil
		if entries[i].Type == "epoch" && entries[i].Epoch == 2 {
			entries[i].Warning = []string{"discriminator loss near 0 (0.0040): it wins outright and the generator learns nothing"}
		}
	}
	out := filepath.Join(t.TempDir(), "loss.png")
	if d := os.Getenv("LOSSPLOT_KEEP"); d != "" {
		out = filepath.Join(d, "loss-warned.png")
		os.WriteFile(filepath.Join(d, "loss.png"), readAll(t, filepath.Join(dir, LossPlotFile)), 0o644)
	}
	if err := lossPlot(out, "normal", entries); err != nil {
		t.Fatal(err)
	}
	img = readPNG(t, out)
	cols := tallColumns(img, lossColorWarning)
	epochs := tallColumns(img, lossColorEpoch)
	if len(cols) == 0 || len(epochs) == 0 {
		t.Fatalf("warning line columns %v, epoch line columns %v", cols, epochs)
	}
	// the epoch lines at x = 1 and 3 (a line is two or three columns wide), the warning at 2
	first, last := epochs[0], epochs[len(epochs)-1]
	if last-first < 100 {
		t.Fatalf("epoch line columns %v: want two lines, at the ends of epochs 1 and 3", epochs)
	}
	if c, mid := cols[len(cols)/2], (first+last)/2; c < mid-4 || c > mid+4 {
		t.Errorf("warning line at x=%d, end of epoch 2 at x=%d (epoch lines %v)", c, mid, epochs)
	}
}

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func near(a color.Color, b color.RGBA, tol int) bool {
	r, g, bl, _ := a.RGBA()
	d := func(x uint32, y uint8) int { v := int(x>>8) - int(y); return max(v, -v) }
	return d(r, b.R) <= tol && d(g, b.G) <= tol && d(bl, b.B) <= tol
}

func countNear(img image.Image, c color.RGBA, tol int) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if near(img.At(x, y), c, tol) {
				n++
			}
		}
	}
	return n
}

// tallColumns returns the x of columns where a quarter of the image's height has colour c: a
// vertical line, not text.
func tallColumns(img image.Image, c color.RGBA) []int {
	var out []int
	b := img.Bounds()
	for x := b.Min.X; x < b.Max.X; x++ {
		n := 0
		for y := b.Min.Y; y < b.Max.Y; y++ {
			if near(img.At(x, y), c, 12) {
				n++
			}
		}
		if n > b.Dy()/4 {
			out = append(out, x)
		}
	}
	return out
}

// blendWhite is a premultiplied colour drawn over white.
func blendWhite(c color.RGBA) color.RGBA {
	k := 255 - int(c.A)
	return color.RGBA{uint8(int(c.R) + k), uint8(int(c.G) + k), uint8(int(c.B) + k), 255}
}

func readAll(t *testing.T, p string) []byte {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
