package ingest

import "encoding/json"

// Report is ingest/report.json: what is in the workspace after the ingest and what this run
// rejected and why. It holds counts, categories and pseudonymous references only: no source file
// names or paths, no patient identifiers, no attribute values (the private rejected list,
// private/ingest-rejected.csv, maps each reference back to its source file).
type Report struct {
	Format   int           `json:"format"`   // report format version (1)
	Finished string        `json:"finished"` // RFC 3339 UTC
	Options  ReportOptions `json:"options"`
	// Files counts this run's input files.
	Files FileCounts `json:"files"`
	// Classes counts the indexed images and patients per class and split (the whole workspace,
	// including images from earlier ingests).
	Classes map[string]*SplitCounts `json:"classes"`
	Totals  SplitCounts             `json:"totals"`
	// PatientsInBothSplits must be 0: the split is by patient.
	PatientsInBothSplits int `json:"patients_in_both_splits"`
	// SourceKinds counts indexed images by source format (dicom, png, jpeg).
	SourceKinds map[string]int `json:"source_kinds"`
	// Rejections counts this run's rejected files by reason.
	Rejections map[string]int `json:"rejections"`
	// DroppedByKeep counts train images left out of the index by --keep, per class.
	DroppedByKeep map[string]int `json:"dropped_by_keep"`
	// LabelRowsWithoutFile counts labels-file rows that matched no input file.
	LabelRowsWithoutFile int `json:"label_rows_without_file"`
	// LooksInverted lists the ids of this run's accepted images whose lung fields are brighter
	// than their mediastinum: probably a wrong PhotometricInterpretation in the source.
	LooksInverted []string `json:"looks_inverted"`
	// Rejected lists every rejected file of this run, sorted by reference.
	Rejected []Rejection `json:"rejected"`
	Warnings []string    `json:"warnings"`
}

// ReportOptions records the settings that shaped the workspace.
type ReportOptions struct {
	Size         int                `json:"size"`
	Aspect       string             `json:"aspect"`
	Holdout      float64            `json:"holdout"`
	Seed         uint64             `json:"seed"`
	Classes      []string           `json:"classes"`
	LabelPolicy  string             `json:"label_policy"`
	LabelsFormat string             `json:"labels_format"` // detected or chosen; "" without labels
	LabelColumn  string             `json:"label_column"`
	Keep         map[string]float64 `json:"keep"`
	Strict       bool               `json:"strict"`
}

// FileCounts counts this run's input files.
type FileCounts struct {
	Seen     int `json:"seen"`     // regular files found under --from
	Ignored  int `json:"ignored"`  // not images (no image extension and not PNG, JPEG or DICOM content)
	Accepted int `json:"accepted"` // accepted in this run (new or already in the workspace)
	New      int `json:"new"`      // accepted and not in the workspace before
	Resumed  int `json:"resumed"`  // decoded by an earlier, interrupted or identical run (journal)
	Rejected int `json:"rejected"`
}

// SplitCounts counts images and patients in each split.
type SplitCounts struct {
	Train           int `json:"train"`
	Holdout         int `json:"holdout"`
	TrainPatients   int `json:"train_patients"`
	HoldoutPatients int `json:"holdout_patients"`
	Rejected        int `json:"rejected"` // this run's rejected files whose class was known (duplicate, unreadable, …)
}

// Rejection is one rejected file of the report.
type Rejection struct {
	Ref    string `json:"ref"`    // pseudonymous file reference (see private/ingest-rejected.csv)
	Reason string `json:"reason"` // stable code, see the Reason constants
	Detail string `json:"detail"` // human explanation (never a path or an attribute value)
	Class  string `json:"class,omitempty"`
}

func marshalReport(rep *Report) ([]byte, error) {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
