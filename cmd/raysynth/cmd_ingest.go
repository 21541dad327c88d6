package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/raysynth/raysynth/ingest"
	"github.com/raysynth/raysynth/internal/imageio"
	"github.com/raysynth/raysynth/internal/workspace"
	"github.com/raysynth/raysynth/pipeline"
	"github.com/spf13/cobra"
)

type ingestOptions struct {
	from         string
	labels       string
	labelsFormat string
	labelColumn  string
	classes      []string
	labelPolicy  string
	size         int
	aspect       string
	holdout      float64
	seed         uint64
	seedSet      bool
	keep         []string
	strict       bool
	json         bool
}

func (o *ingestOptions) addFlags(c *cobra.Command) {
	f := c.Flags()
	f.StringVar(&o.from, "from", "", "folder of DICOM, PNG and JPEG files, searched recursively (or one file)")
	f.StringVar(&o.labels, "labels", "", "labels CSV (may be .gz); without it DICOM PatientID groups images and the class is \"unlabeled\"")
	f.StringVar(&o.labelsFormat, "labels-format", ingest.FormatAuto, "labels layout: auto, nih (Data_Entry_2017), nih1000, kermany or plain (file,label,patient)")
	f.StringVar(&o.labelColumn, "label-column", "", "column holding the label, overriding the layout's (e.g. subtype for Kermany's normal/bacteria/virus)")
	f.StringSliceVar(&o.classes, "classes", nil, "classes to keep, comma-separated (NIH names mapped: No Finding→normal, Effusion→effusion, …); default all")
	f.StringVar(&o.labelPolicy, "label-policy", ingest.PolicySingle, "images with several findings: single (keep only one-finding images) or primary (keep when exactly one selected class is present)")
	f.IntVar(&o.size, "size", 0, "image side in pixels (default 64, or the workspace's)")
	f.StringVar(&o.aspect, "aspect", string(imageio.AspectCrop), "non-square images: crop (central square) or pad (black bars)")
	f.Float64Var(&o.holdout, "holdout", 0.3, "fraction of each class's images held out, split by patient")
	f.Uint64Var(&o.seed, "seed", 1, "seed of the train/holdout split and of --keep (a workspace keeps the seed of its first ingest)")
	f.StringArrayVar(&o.keep, "keep", nil, "CLASS=FRACTION: keep only that fraction of the class's train patients (holdout untouched); repeatable")
	f.BoolVar(&o.strict, "strict", false, "fail (exit 1, nothing indexed) when any file is rejected")
	f.BoolVar(&o.json, "json", false, "print the ingest report as JSON on stdout")
}

func newIngestCmd(g *globals) *cobra.Command {
	o := &ingestOptions{}
	c := &cobra.Command{
		Use:     "ingest --from FOLDER [--labels FILE] [flags]",
		Short:   "Fill the workspace with de-identified real X-rays, split by patient",
		GroupID: groupPrepare,
		Long: `Ingest reads DICOM (Part-10 or raw datasets, recognised by content), PNG and JPEG files,
renders them to 8-bit gray (DICOM: Modality LUT, VOI window, MONOCHROME1 inverted so air is dark),
makes them square (--aspect) and area-averages them to --size, and splits them by patient into
train and holdout, stratified by class.

Images and patients get keyed pseudonyms (HMAC-SHA256 under the workspace secret in
private/secret.key). No file name, path or DICOM attribute value leaves private/: the trace from
an image back to its source is private/source-map.csv, and rejected files are listed with their
paths in private/ingest-rejected.csv. ingest/report.json counts what was accepted and why the
rest was rejected (unreadable, unsupported, unlabeled, class_not_selected, multiple_findings,
several_selected_classes, not_chest_film, too_small, too_large, blank_image, duplicate).

Interrupted? Run the same command again: finished images are not decoded twice. Running it
again with more files adds them; existing patients keep their split.`,
		Example: `  # NIH images with NIH labels, five classes, one-finding images only
  raysynth ingest --from nih/images --labels Data_Entry_2017.csv \
      --classes normal,cardiomegaly,effusion,edema,pneumothorax --label-policy single
  # Kermany pneumonia subtypes at 64×64, keeping 10% of the virus train patients
  raysynth ingest --from kermany/images --labels kermany/labels.csv --label-column subtype --keep virus=0.1
  # a DICOM export without labels (PatientID groups the films)
  raysynth ingest --from /mnt/pacs-export --size 128`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.seedSet = cmd.Flags().Changed("seed")
			return runIngest(cmd.Context(), g, o)
		},
	}
	o.addFlags(c)
	return c
}

func runIngest(ctx context.Context, g *globals, o *ingestOptions) error {
	cfg, err := ingestConfig(g, o)
	if err != nil {
		return err
	}
	reporter, wait := g.newReporter()
	cfg.Progress = reporter
	if err := cfg.Validate(); err != nil {
		wait()
		return usageError{err}
	}
	rep, err := ingest.Run(ctx, cfg)
	wait()
	if rep != nil {
		printIngestSummary(g, rep)
		if o.json {
			if err := g.printJSON(rep); err != nil {
				return err
			}
		}
	}
	return ingestHint(err, g.workspace)
}

// ingestConfig is ingest's configuration from its options (run's ingest stage uses it too).
func ingestConfig(g *globals, o *ingestOptions) (ingest.Config, error) {
	if o.from == "" {
		return ingest.Config{}, usageErrorf("--from is required: the folder of DICOM, PNG or JPEG files to ingest")
	}
	keep := map[string]float64{}
	for _, k := range o.keep {
		name, f, err := ingest.ParseKeep(k)
		if err != nil {
			return ingest.Config{}, usageError{err}
		}
		keep[name] = f
	}
	return ingest.Config{
		From: o.from, Workspace: g.workspace, Labels: o.labels, LabelsFormat: o.labelsFormat,
		LabelColumn: o.labelColumn, Classes: o.classes, LabelPolicy: o.labelPolicy, Size: o.size,
		Aspect: imageio.Aspect(o.aspect), Holdout: o.holdout, Seed: o.seed, SeedSet: o.seedSet,
		Keep: keep, Strict: o.strict, Log: g.log,
	}, nil
}

// runConfig is ingest's part of run's pipeline configuration.
func (o *ingestOptions) runConfig(_ context.Context, g *globals, cfg *pipeline.Config) (err error) {
	cfg.From, cfg.Labels, cfg.Options[pipeline.Ingest] = o.from, o.labels, *o
	cfg.Ingest, err = ingestConfig(g, o)
	return err
}

// ingestHint says what to do about an ingest error.
func ingestHint(err error, wsDir string) error {
	switch {
	case errors.Is(err, ingest.ErrRejected):
		return withHint(err, "the files and reasons are in "+(&workspace.Workspace{Dir: wsDir}).RejectedListPath()+" (private: it names source files)")
	case errors.Is(err, ingest.ErrLabels):
		return withHint(err, "choose the layout with --labels-format and the label column with --label-column; see raysynth ingest --help")
	case errors.Is(err, ingest.ErrBusy):
		return withHint(err, "wait for it to finish (or stop it), then run this command again")
	case errors.Is(err, ingest.ErrWorkspaceMismatch):
		return withHint(err, "pass --workspace NEW_FOLDER, or repeat the options of the first ingest")
	}
	return err
}

// printIngestSummary writes the short human summary on stderr: accepted per class and split,
// rejected per reason. No file names (they may identify patients).
func printIngestSummary(g *globals, rep *ingest.Report) {
	w := g.stderr
	classes := make([]string, 0, len(rep.Classes))
	for c := range rep.Classes {
		classes = append(classes, c)
	}
	slices.Sort(classes)
	fmt.Fprintf(w, "ingest: %d files: %d accepted (%d new), %d rejected, %d ignored (not images)\n",
		rep.Files.Seen, rep.Files.Accepted, rep.Files.New, rep.Files.Rejected, rep.Files.Ignored)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "class\ttrain\tholdout\ttrain patients\tholdout patients\trejected\t")
	for _, c := range classes {
		s := rep.Classes[c]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t\n", c, s.Train, s.Holdout, s.TrainPatients, s.HoldoutPatients, s.Rejected)
	}
	t := rep.Totals
	fmt.Fprintf(tw, "total\t%d\t%d\t%d\t%d\t%d\t\n", t.Train, t.Holdout, t.TrainPatients, t.HoldoutPatients, t.Rejected)
	tw.Flush()
	if len(rep.Rejections) > 0 {
		reasons := make([]string, 0, len(rep.Rejections))
		for r, n := range rep.Rejections {
			reasons = append(reasons, fmt.Sprintf("%s %d", r, n))
		}
		slices.Sort(reasons)
		fmt.Fprintf(w, "rejected: %s (details: %s, paths: %s)\n", strings.Join(reasons, ", "),
			(&workspace.Workspace{Dir: g.workspace}).IngestReportPath(), (&workspace.Workspace{Dir: g.workspace}).RejectedListPath())
	}
	for c, n := range rep.DroppedByKeep {
		fmt.Fprintf(w, "--keep: %d train images of %s left out of the index\n", n, c)
	}
	for _, warn := range rep.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
}
