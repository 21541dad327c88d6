package ingest

import (
	"fmt"
	"slices"
	"strings"
)

// Label policies for images with several findings.
const (
	// PolicySingle keeps an image only when its one and only finding is a selected class.
	PolicySingle = "single"
	// PolicyPrimary keeps an image when exactly one selected class is among its findings; other
	// findings are ignored.
	PolicyPrimary = "primary"
)

// Rejection reasons (stable codes in the report).
const (
	ReasonUnreadable      = "unreadable"               // cannot be read or decoded (corrupt, truncated)
	ReasonUnsupported     = "unsupported"              // valid but not decodable here (compression, colour, frames)
	ReasonUnrecognized    = "unrecognized"             // has an image extension but is not PNG, JPEG or DICOM
	ReasonUnlabeled       = "unlabeled"                // no row in the labels file, or an empty label
	ReasonNotSelected     = "class_not_selected"       // its finding is not one of --classes
	ReasonMultiple        = "multiple_findings"        // several findings under --label-policy single
	ReasonSeveralSelected = "several_selected_classes" // several selected classes under --label-policy primary
	ReasonNotChest        = "not_chest_film"           // DICOM says another modality or body part, or implausible shape
	ReasonTooSmall        = "too_small"                // smaller than --size (raysynth never upscales)
	ReasonTooLarge        = "too_large"                // decoding it would exceed the per-file memory budget
	ReasonBlank           = "blank_image"              // every pixel the same
	ReasonDuplicate       = "duplicate"                // same file or same pixels as an image already accepted
)

// decide applies the class selection and label policy to an image's findings. It returns the
// class, or a rejection reason and detail.
func decide(findings, selected []string, policy string) (class, reason, detail string) {
	if len(findings) == 0 {
		return "", ReasonUnlabeled, "empty label"
	}
	if len(selected) == 0 {
		if len(findings) == 1 {
			return findings[0], "", ""
		}
		return "", ReasonMultiple, fmt.Sprintf("%d findings: %s", len(findings), strings.Join(findings, "|"))
	}
	var in []string
	for _, f := range findings {
		if slices.Contains(selected, f) {
			in = append(in, f)
		}
	}
	switch {
	case len(in) == 0:
		return "", ReasonNotSelected, "findings: " + strings.Join(findings, "|")
	case policy == PolicySingle && len(findings) > 1:
		return "", ReasonMultiple, fmt.Sprintf("%d findings: %s", len(findings), strings.Join(findings, "|"))
	case len(in) > 1:
		return "", ReasonSeveralSelected, "selected classes present: " + strings.Join(in, "|")
	}
	return in[0], "", ""
}
