// Command ganscore scores one class's generator checkpoint the way the evaluation does: it
// samples N images (last weights or the moving average), embeds them with the workspace's
// real-only classifier (WORKSPACE/classifier/classifier.ckpt) and prints one tab-separated line:
// the label, the Fréchet distance to the class's holdout films in that embedding, the same
// distance for the real train films (the reference), k-NN precision and recall (k = 3,
// Kynkäänniemi et al. 2019), and how many distinct training films are nearest to the samples
// (Pearson correlation of pixels). A development tool for scripts/gan-ablation.sh, not part of
// the product.
package main

import (
	"context"
	"flag"
	"fmt"
	"image"
	"os"
	"path/filepath"

	"github.com/raysynth/raysynth/internal/imageio"
	"github.com/raysynth/raysynth/internal/metrics"
	"github.com/raysynth/raysynth/internal/workspace"
	"github.com/raysynth/raysynth/train"
)

func main() {
	wsDir := flag.String("workspace", "", "ingested workspace with a trained classifier")
	class := flag.String("class", "", "class")
	ckpt := flag.String("checkpoint", "", "generator checkpoint")
	weights := flag.String("weights", "", "last or ema (default: the recipe's)")
	n := flag.Int("samples", 500, "samples to score")
	seed := flag.Uint64("seed", 1, "latent seed")
	grid := flag.String("grid", "", "write an 8×8 grid of the first 64 samples here")
	label := flag.String("label", "", "first column(s) of the output line")
	flag.Parse()
	if err := run(*wsDir, *class, *ckpt, *weights, *n, *seed, *grid, *label); err != nil {
		fmt.Fprintln(os.Stderr, "ganscore:", err)
		os.Exit(1)
	}
}

func run(wsDir, class, ckpt, weights string, n int, seed uint64, grid, label string) error {
	ctx := context.Background()
	w, err := workspace.Open(wsDir)
	if err != nil {
		return err
	}
	rows, err := w.ReadRealIndex()
	if err != nil {
		return err
	}
	var trn, hold [][]float32
	for _, r := range rows {
		if r.Class != class {
			continue
		}
		img, err := imageio.ReadGray(w.RealImagePath(r.ID))
		if err != nil {
			return err
		}
		v := imageio.ToFloat(nil, img)
		if r.Split == workspace.SplitTrain {
			trn = append(trn, v)
		} else {
			hold = append(hold, v)
		}
	}
	gen, err := train.LoadGeneratorWeights(ckpt, 64, weights)
	if err != nil {
		return err
	}
	defer gen.Close()
	syn, err := gen.Generate(ctx, n, seed, 0)
	if err != nil {
		return err
	}
	if grid != "" {
		if err := writeGrid(grid, syn[:min(64, len(syn))], gen.Size); err != nil {
			return err
		}
	}
	cl, err := train.LoadClassifier(filepath.Join(w.ClassifierDir(), train.ClassifierModelFile))
	if err != nil {
		return err
	}
	defer cl.Close()
	eh, err := cl.Embed(ctx, hold)
	if err != nil {
		return err
	}
	et, err := cl.Embed(ctx, trn)
	if err != nil {
		return err
	}
	es, err := cl.Embed(ctx, syn)
	if err != nil {
		return err
	}
	fd, err := metrics.FrechetDistance(eh, es)
	if err != nil {
		return err
	}
	ref, err := metrics.FrechetDistance(eh, et)
	if err != nil {
		return err
	}
	pr, err := metrics.PrecisionRecall(eh, es, metrics.DefaultK)
	if err != nil {
		return err
	}
	near := train.NearestTrainFilms(syn, trn)
	distinct := map[int]bool{}
	for _, j := range near {
		distinct[j] = true
	}
	fmt.Printf("%s\t%.2f\t%.2f\t%.3f\t%.3f\t%d\t%d\n", label, fd, ref, pr.Precision, pr.Recall, len(distinct), len(syn))
	return nil
}

func writeGrid(path string, imgs [][]float32, size int) error {
	const cols, gap = 8, 2
	rows := (len(imgs) + cols - 1) / cols
	g := image.NewGray(image.Rect(0, 0, cols*size+(cols+1)*gap, rows*size+(rows+1)*gap))
	for i := range g.Pix {
		g.Pix[i] = 40
	}
	for k, v := range imgs {
		t := imageio.FromFloat(v, size, size)
		x0, y0 := gap+(k%cols)*(size+gap), gap+(k/cols)*(size+gap)
		for y := 0; y < size; y++ {
			copy(g.Pix[(y0+y)*g.Stride+x0:], t.Pix[y*size:(y+1)*size])
		}
	}
	_, err := imageio.WriteGray(path, g)
	return err
}
