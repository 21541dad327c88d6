// Command shortcutprobe asks whether a classifier trained with synthetic films learned "looks
// synthetic" as a sign of a class (a shortcut). It loads models kept by `raysynth evaluate
// --keep-models` (eval/runs/NAME.model) and prints, per model and true class, how the model labels
// the workspace's real holdout films and a set of fresh synthetic films that no model trained on
// (the candidates of another workspace with the same generators, e.g. a copy sampled with
// `synth --seed 7`). A model without the shortcut labels both alike; one with it sends synthetic
// films of every class to the classes that were mostly synthetic in its training set.
//
// With -separability it also measures how far real and synthetic films of a class can be told
// apart in a model's embedding: leave-one-out 1-nearest-neighbour accuracy of the label real or
// synthetic over equal numbers of each (0.5: indistinguishable, 1: fully separable).
//
// A development tool for docs/results/seed-experiment/kermany/shortcut/, not part of the product.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/raysynth/raysynth/internal/metrics"
	"github.com/raysynth/raysynth/internal/workspace"
	"github.com/raysynth/raysynth/train"
)

func main() {
	wsDir := flag.String("workspace", "", "ingested workspace: its holdout films are the real test set")
	probeDir := flag.String("probe", "", "workspace whose synthetic candidates (synth/index.csv) are the fresh synthetic films")
	sep := flag.Int("separability", 0, "also measure real-vs-synthetic 1-NN separability in each model's embedding on this many films of each kind per class (0: no)")
	seed := flag.Uint64("seed", 1, "seed of the separability subsets")
	flag.Parse()
	if err := run(*wsDir, *probeDir, flag.Args(), *sep, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "shortcutprobe:", err)
		os.Exit(1)
	}
}

func run(wsDir, probeDir string, models []string, sep int, seed uint64) error {
	ctx := context.Background()
	if wsDir == "" || probeDir == "" || len(models) == 0 {
		return errors.New("usage: shortcutprobe -workspace WS -probe PROBE_WS MODEL (one or more)")
	}
	w, err := workspace.Open(wsDir)
	if err != nil {
		return err
	}
	pw, err := workspace.Open(probeDir)
	if err != nil {
		return err
	}
	meta, err := w.LoadMeta()
	if err != nil {
		return err
	}
	hold, err := train.LoadReal(w, meta.Classes, meta.ImageSize, workspace.SplitHoldout)
	if err != nil {
		return err
	}
	syn, _, err := train.LoadSynthetic(pw, train.SyntheticCandidates, meta.Classes, meta.ImageSize)
	if err != nil {
		return err
	}
	k := len(meta.Classes)
	fmt.Printf("model\tfilms\ttrue class\tn\t%s\n", strings.Join(prefixed("labelled ", meta.Classes), "\t"))
	var sepRows []string
	for _, path := range models {
		c, err := train.LoadClassifier(path)
		if err != nil {
			return err
		}
		name := filepath.Base(path)
		for _, set := range []struct {
			label string
			ex    []train.Example
		}{{"real holdout", hold}, {"fresh synthetic", syn}} {
			probs, err := c.PredictExamples(ctx, set.ex)
			if err != nil {
				return err
			}
			counts := make([][]int, k)
			for i := range counts {
				counts[i] = make([]int, k)
			}
			for i, p := range metrics.Argmax(probs) {
				counts[set.ex[i].Class()][p]++
			}
			for t := range k {
				n := 0
				for _, v := range counts[t] {
					n += v
				}
				cells := make([]string, k)
				for j := range k {
					cells[j] = fmt.Sprintf("%.3f", float64(counts[t][j])/float64(max(n, 1)))
				}
				fmt.Printf("%s\t%s\t%s\t%d\t%s\n", name, set.label, meta.Classes[t], n, strings.Join(cells, "\t"))
			}
		}
		if sep > 0 {
			for t := range k {
				acc, n, err := separability(ctx, c, hold, syn, t, sep, seed)
				if err != nil {
					return err
				}
				sepRows = append(sepRows, fmt.Sprintf("%s\t%s\t%d\t%.3f", name, meta.Classes[t], n, acc))
			}
		}
		c.Close()
	}
	if len(sepRows) > 0 {
		fmt.Printf("\nmodel\tclass\tfilms of each kind\t1-NN real-vs-synthetic accuracy\n%s\n", strings.Join(sepRows, "\n"))
	}
	return nil
}

// separability is the leave-one-out 1-NN accuracy of telling real from synthetic films of class t
// in c's embedding, on n films of each kind (fewer when a set has fewer) drawn with seed.
func separability(ctx context.Context, c *train.Classifier, real, syn []train.Example, t, n int, seed uint64) (float64, int, error) {
	pick := func(ex []train.Example, stream uint64) []train.Example {
		var of []train.Example
		for _, e := range ex {
			if e.Class() == t {
				of = append(of, e)
			}
		}
		rng := rand.New(rand.NewPCG(seed, stream))
		rng.Shuffle(len(of), func(i, j int) { of[i], of[j] = of[j], of[i] })
		return of
	}
	r, s := pick(real, 1), pick(syn, 2)
	n = min(n, len(r), len(s))
	if n < 2 {
		return 0, n, fmt.Errorf("class %d: %d films of a kind, want at least 2", t, n)
	}
	all := append(r[:n:n], s[:n]...)
	emb, err := c.EmbedExamples(ctx, all)
	if err != nil {
		return 0, 0, err
	}
	right := 0
	for i := range all {
		best, bj := -1.0, -1
		for j := range all {
			if i == j {
				continue
			}
			var d float64
			for x := range emb[i] {
				v := float64(emb[i][x] - emb[j][x])
				d += v * v
			}
			if bj < 0 || d < best {
				best, bj = d, j
			}
		}
		if (i < n) == (bj < n) {
			right++
		}
	}
	return float64(right) / float64(len(all)), n, nil
}

func prefixed(p string, s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = p + v
	}
	return out
}
