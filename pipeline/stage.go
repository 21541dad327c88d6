package pipeline

import (
	"fmt"
	"slices"
	"strings"
)

// Stage is one step of a release.
type Stage string

// The stages, in the order [Stages] runs them.
const (
	Ingest     Stage = "ingest"
	GAN        Stage = "gan"
	Synth      Stage = "synth"
	Classifier Stage = "classifier"
	Privacy    Stage = "privacy"
	Evaluate   Stage = "evaluate"
	Bundle     Stage = "bundle"
	Publish    Stage = "publish"
	Verify     Stage = "verify"
)

// Stages is every stage in order: the one list.
var Stages = []Stage{Ingest, GAN, Synth, Classifier, Privacy, Evaluate, Bundle, Publish, Verify}

// Name is how people read the stage ("train gan" for [GAN]).
func (s Stage) Name() string {
	switch s {
	case GAN:
		return "train gan"
	case Classifier:
		return "train classifier"
	}
	return string(s)
}

// PerRelease reports whether the stage is recorded per release name and version.
func (s Stage) PerRelease() bool { return s == Bundle || s == Publish || s == Verify }

// UntilStages are the stages a run can stop after (all but the last).
func UntilStages() []Stage { return Stages[:len(Stages)-1] }

// ParseUntil reads a --until value.
func ParseUntil(s string) (Stage, error) {
	if st := Stage(s); slices.Contains(UntilStages(), st) {
		return st, nil
	}
	return "", fmt.Errorf("--until %q: want one of %s", s, UntilList(", "))
}

// UntilList is [UntilStages] joined by sep, for help texts.
func UntilList(sep string) string {
	var ss []string
	for _, s := range UntilStages() {
		ss = append(ss, string(s))
	}
	return strings.Join(ss, sep)
}
