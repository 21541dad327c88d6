package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/raysynth/raysynth/internal/phantom"
	"github.com/spf13/cobra"
)

type phantomOptions struct {
	out     string
	count   int
	seed    uint64
	size    int
	films   string
	classes string
	mix     string
	force   bool
	json    bool
}

func (o *phantomOptions) addFlags(c *cobra.Command) {
	f := c.Flags()
	f.StringVar(&o.out, "out", "", "folder to create (required); refused if it exists unless --force")
	f.IntVar(&o.count, "count", 200, "total number of films")
	f.Uint64Var(&o.seed, "seed", 1, "random seed; the same seed gives byte-identical files")
	f.IntVar(&o.size, "size", 128, "image width and height in pixels")
	f.StringVar(&o.films, "films-per-patient", "2-4", "films per phantom patient: a number or a range MIN-MAX")
	f.StringVar(&o.classes, "classes", "", "comma-separated classes to make (default: all of "+strings.Join(phantom.Classes, ",")+"), with the default balance")
	f.StringVar(&o.mix, "mix", "", "class weights, e.g. normal=0.5,effusion=0.2,cardiomegaly=0.2,edema=0.05,pneumothorax=0.05\n(normalised; default: normal most frequent, edema and pneumothorax rare)")
	f.BoolVar(&o.force, "force", false, "replace --out if it already exists")
	f.BoolVar(&o.json, "json", false, "print a JSON summary (counts per class, output folder) on stdout")
}

func newPhantomCmd(g *globals) *cobra.Command {
	var o phantomOptions
	c := &cobra.Command{
		Use:   "phantom --out DIR",
		Short: "Write a labelled data set of synthetic chest phantoms (for demos and tests)",
		Long: `phantom writes synthetic chest radiograph phantoms for a machine with no real data: PNG films
under DIR/images/, DIR/labels.csv (file,label,patient; read by "raysynth ingest" with no further
options), DIR/phantom.json (settings and counts) and DIR/.preview/contact-sheet.png (two films per class; ingest skips dot-folders).

Each phantom patient has several films with small changes of pose and exposure. The classes show
cardiomegaly (cardiothoracic ratio above 0.5), effusion (blunted costophrenic angle with a fluid
level), pneumothorax (a region without lung markings behind a pleural line), edema (bilateral haze)
and normal (ratio below 0.5, sharp angles, lung markings).

Phantoms are for demos and tests only, not for research. The output is byte-identical for the
same seed and settings, and is written to a temporary folder renamed into place when complete.`,
		Example: `  # 200 films, imbalanced like real data (normal most frequent)
  raysynth phantom --out phantoms
  # a balanced set of 100 films at 64x64, 3 films per patient, as JSON summary
  raysynth phantom --out phantoms64 --size 64 --count 100 --films-per-patient 3 \
      --mix normal=1,cardiomegaly=1,effusion=1,edema=1,pneumothorax=1 --json
  # only two classes, then ingest them
  raysynth phantom --out ph --classes normal,cardiomegaly --seed 7
  raysynth ingest --from ph --labels ph/labels.csv`,
		GroupID: groupPrepare,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPhantom(cmd.Context(), g, &o)
		},
	}
	o.addFlags(c)
	return c
}

func runPhantom(ctx context.Context, g *globals, o *phantomOptions) error {
	if o.out == "" {
		return usageErrorf("--out DIR is required")
	}
	lo, hi, err := phantom.ParseRange(o.films)
	if err != nil {
		return usageErrorf("--films-per-patient: %v", err)
	}
	var mix map[string]float64
	if o.mix != "" {
		if mix, err = phantom.ParseMix(o.mix); err != nil {
			return usageErrorf("--mix: %v", err)
		}
	}
	if o.classes != "" {
		classes := map[string]bool{}
		for _, c := range strings.Split(o.classes, ",") {
			c = strings.ToLower(strings.TrimSpace(c))
			if c == "" {
				continue
			}
			if !isPhantomClass(c) {
				return usageErrorf("--classes: unknown class %q (known: %s)", c, strings.Join(phantom.Classes, ", "))
			}
			classes[c] = true
		}
		if len(classes) == 0 {
			return usageErrorf("--classes: no class given")
		}
		if mix == nil {
			mix = map[string]float64{}
			for c, w := range phantom.DefaultMix() {
				if classes[c] {
					mix[c] = w
				}
			}
		} else {
			for c, w := range mix {
				if w > 0 && !classes[c] {
					return usageErrorf("--mix gives class %s a share but --classes leaves it out", c)
				}
			}
			for c := range classes {
				if mix[c] <= 0 {
					return usageErrorf("--classes lists %s but --mix gives it no share", c)
				}
			}
		}
	}
	rep, wait := g.newReporter()
	cfg := phantom.Config{
		Out: o.out, Replace: o.force, Count: o.count, Seed: o.seed, Size: o.size,
		MinFilms: lo, MaxFilms: hi, Mix: mix, Progress: rep, Log: g.log,
	}
	if err := cfg.Validate(); err != nil {
		return usageError{err}
	}
	sum, err := phantom.Generate(ctx, cfg)
	wait()
	if errors.Is(err, phantom.ErrExists) {
		return withHint(err, "choose another --out, or add --force to replace it")
	}
	if err != nil {
		return err
	}
	if o.json {
		return g.printJSON(sum)
	}
	var parts []string
	classes := make([]string, 0, len(sum.PerClass))
	for c := range sum.PerClass {
		classes = append(classes, c)
	}
	sort.Slice(classes, func(i, j int) bool { return sum.PerClass[classes[i]] > sum.PerClass[classes[j]] })
	for _, c := range classes {
		parts = append(parts, fmt.Sprintf("%s %d", c, sum.PerClass[c]))
	}
	fmt.Fprintf(g.stderr, "wrote %d phantom films of %d patients (%s) to %s\n", sum.Films, sum.Patients, strings.Join(parts, ", "), sum.Out)
	fmt.Fprintf(g.stderr, "look at %s; ingest with: raysynth ingest --from %s --labels %s\n", sum.ContactSheet, sum.Out, sum.Labels)
	fmt.Fprintln(g.stderr, "phantoms are for demos and tests only, not for research")
	fmt.Fprintln(g.stdout, sum.Out)
	return nil
}

func isPhantomClass(c string) bool {
	for _, k := range phantom.Classes {
		if k == c {
			return true
		}
	}
	return false
}
