package ingest

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"

	"github.com/raysynth/raysynth/internal/imageio"
	"github.com/raysynth/raysynth/internal/progress"
)

// Config is everything [Run] needs. cmd builds it from flags.
type Config struct {
	From         string             // folder searched recursively, or one file
	Workspace    string             // workspace folder (created when missing)
	Labels       string             // labels CSV ("" = none: DICOM PatientID groups, class "unlabeled")
	LabelsFormat string             // auto, nih, nih1000, kermany or plain
	LabelColumn  string             // label column overriding the format's default ("" = default)
	Classes      []string           // selected classes, NIH names mapped; empty = every class found
	LabelPolicy  string             // PolicySingle or PolicyPrimary
	Size         int                // output side in pixels (0 = the workspace's, else 64)
	Aspect       imageio.Aspect     // how non-square sources become square
	Holdout      float64            // fraction of each class's images held out, by patient
	Seed         uint64             // seed of the split and of --keep's choice
	SeedSet      bool               // false: an existing workspace's seed wins over Seed
	Keep         map[string]float64 // class → fraction of its train patients to keep
	Strict       bool               // any rejection fails the ingest (nothing is indexed)
	Workers      int                // decoding workers (0 = 2)
	Log          *slog.Logger       // nil = discard
	Progress     progress.Reporter  // nil = none
}

// Unlabeled is the class of images ingested without a labels file.
const Unlabeled = "unlabeled"

// DefaultSize is the image side when neither the flag nor the workspace says.
const DefaultSize = 64

// Validate checks the configuration without touching the disk more than a stat.
func (c *Config) Validate() error {
	var errs []error
	if c.From == "" {
		errs = append(errs, errors.New("no input: give --from FOLDER"))
	} else if _, err := os.Stat(c.From); err != nil {
		errs = append(errs, fmt.Errorf("input %s: %w", c.From, err))
	}
	if c.Workspace == "" {
		errs = append(errs, errors.New("no workspace folder"))
	}
	if c.Labels == "" && (c.LabelColumn != "" || len(c.Classes) > 0) {
		errs = append(errs, errors.New("--label-column and --classes need a labels file (--labels)"))
	}
	switch c.LabelPolicy {
	case PolicySingle, PolicyPrimary:
	default:
		errs = append(errs, fmt.Errorf("label policy %q: want single or primary", c.LabelPolicy))
	}
	if c.Size != 0 && (c.Size < 8 || c.Size > 1024) {
		errs = append(errs, fmt.Errorf("size %d: want 8 to 1024 pixels", c.Size))
	}
	if _, err := imageio.ParseAspect(string(c.Aspect)); err != nil {
		errs = append(errs, err)
	}
	if !(c.Holdout >= 0 && c.Holdout < 1) {
		errs = append(errs, fmt.Errorf("holdout fraction %v: want at least 0 and below 1", c.Holdout))
	}
	for i, cl := range c.Classes {
		n := NormalizeClass(cl)
		if err := CheckClass(n); err != nil {
			errs = append(errs, fmt.Errorf("--classes: %w", err))
		}
		if slices.ContainsFunc(c.Classes[:i], func(s string) bool { return NormalizeClass(s) == n }) {
			errs = append(errs, fmt.Errorf("class %q listed twice", cl))
		}
	}
	for cl, f := range c.Keep {
		if !(f >= 0 && f <= 1) {
			errs = append(errs, fmt.Errorf("--keep %s=%v: fraction must be between 0 and 1", cl, f))
		}
		if len(c.Classes) > 0 && !slices.ContainsFunc(c.Classes, func(s string) bool { return NormalizeClass(s) == NormalizeClass(cl) }) {
			errs = append(errs, fmt.Errorf("--keep %s: not one of the selected classes %v", cl, c.Classes))
		}
	}
	if c.Workers < 0 {
		errs = append(errs, fmt.Errorf("workers %d: want 1 or more", c.Workers))
	}
	return errors.Join(errs...)
}

// ParseKeep parses a --keep value CLASS=FRACTION.
func ParseKeep(s string) (string, float64, error) {
	name, frac, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(name) == "" {
		return "", 0, fmt.Errorf("--keep %q: want CLASS=FRACTION, e.g. virus=0.1", s)
	}
	var f float64
	if _, err := fmt.Sscanf(strings.TrimSpace(frac), "%g", &f); err != nil || f < 0 || f > 1 {
		return "", 0, fmt.Errorf("--keep %q: fraction must be a number between 0 and 1", s)
	}
	return NormalizeClass(name), f, nil
}
