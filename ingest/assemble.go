package ingest

import (
	"fmt"
	"math/bits"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/raysynth/raysynth/internal/workspace"
)

// The steps of [Run] after every file was decoded: this run's records and rejections, merged with
// earlier ingests, split and counted, then committed to the workspace.

// newReport is an empty report of an ingest with these settled options.
func newReport(cfg Config, size int, seed uint64, selected []string, keep map[string]float64, labels *Labels) *Report {
	rep := &Report{Format: 1, Classes: map[string]*SplitCounts{}, SourceKinds: map[string]int{},
		Rejections: map[string]int{}, DroppedByKeep: map[string]int{}, Rejected: []Rejection{}, Warnings: []string{}, LooksInverted: []string{}}
	rep.Options = ReportOptions{Size: size, Aspect: string(cfg.Aspect), Holdout: cfg.Holdout, Seed: seed,
		Classes: selected, LabelPolicy: cfg.LabelPolicy, Keep: keep, Strict: cfg.Strict}
	if labels != nil {
		rep.Options.LabelsFormat, rep.Options.LabelColumn = labels.Format, labels.Column
	}
	return rep
}

// collect turns this run's outcomes into records and rejections (in rep), rejecting duplicates
// of an image accepted earlier in this run or in an earlier ingest (master). It returns the
// accepted records, the files processed now, and the source path of each rejection's reference.
func collect(rep *Report, outcomes []outcome, master []*record, labels *Labels, ps *pseudonymizer) (fresh []*record, processed map[string]bool, refPaths map[string]string) {
	refPaths = map[string]string{}
	reject := func(path, reason, detail, class string) {
		ref := ps.File(path)
		refPaths[ref] = path
		rep.Rejected = append(rep.Rejected, Rejection{Ref: ref, Reason: reason, Detail: detail, Class: class})
		rep.Rejections[reason]++
	}
	byID := map[string]*record{}
	byPix := map[string]*record{}
	byPath := map[string]*record{}
	for _, r := range master {
		byID[r.ID], byPix[r.PixelSHA256], byPath[r.SourcePath] = r, r, r
	}
	processed = map[string]bool{}
	for i := range outcomes {
		processed[outcomes[i].path] = true
	}
	perFile := 0
	var inverted []string
	usedRows := map[int]bool{}
	for i := range outcomes {
		o := &outcomes[i]
		if labels != nil {
			if row := labels.Lookup(o.path); row >= 0 {
				usedRows[row] = true
			}
		}
		if o.ignored {
			rep.Files.Ignored++
			continue
		}
		if !o.ok() {
			reason, detail := o.reason, o.detail
			if reason == "" {
				reason, detail = o.entry.Reason, o.entry.Detail
			}
			reject(o.path, reason, detail, o.class)
			continue
		}
		if o.resumed {
			rep.Files.Resumed++
		}
		e := o.entry
		class := o.class
		if labels == nil {
			class = Unlabeled
		}
		srcPatient := o.labelPt
		if srcPatient == "" {
			srcPatient = e.DICOMPatient
		}
		if srcPatient == "" {
			srcPatient = "file:" + e.ID
			perFile++
		}
		rec := &record{ID: e.ID, Patient: ps.Patient(srcPatient), Class: class, Kind: e.Kind, SHA256: e.SHA256,
			PixelSHA256: e.PixelSHA256, SourcePath: o.path, SourcePatient: srcPatient}
		// Duplicates: the same source bytes or the same pixels as an image accepted earlier in
		// this run or in an earlier ingest (other than this very file).
		if prev, ok := byID[rec.ID]; ok && prev.SourcePath != o.path && processed[prev.SourcePath] {
			reject(o.path, ReasonDuplicate, "same file content as image "+prev.ID, class)
			continue
		}
		if prev, ok := byPix[rec.PixelSHA256]; ok && prev.SourcePath != o.path && (processed[prev.SourcePath] || prev.ID != rec.ID) {
			reject(o.path, ReasonDuplicate, "same pixels as image "+prev.ID, class)
			continue
		}
		if prev, ok := byPath[o.path]; ok {
			rec.Split = "" // re-derived from the patient below; a relabelled file may change class
			if prev.Patient == rec.Patient {
				rec.Split = prev.Split
			}
		} else {
			rep.Files.New++
		}
		rep.Files.Accepted++
		if e.Inverted {
			inverted = append(inverted, rec.ID)
		}
		byID[rec.ID], byPix[rec.PixelSHA256], byPath[o.path] = rec, rec, rec
		fresh = append(fresh, rec)
	}
	if len(inverted) > 0 {
		slices.Sort(inverted)
		rep.LooksInverted = inverted
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("%d images look inverted (lung fields brighter than the mediastinum), listed in looks_inverted: check their source's PhotometricInterpretation (private/source-map.csv maps ids to sources)", len(inverted)))
	}
	if labels != nil {
		rep.LabelRowsWithoutFile = len(labels.Rows) - len(usedRows)
	}
	rep.Files.Rejected = len(rep.Rejected)
	if perFile > 0 {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("%d images had no patient id (no labels-file patient, no DICOM PatientID or StudyInstanceUID): each counts as its own patient, so two films of one person could fall on both sides of the split", perFile))
	}
	return fresh, processed, refPaths
}

// merge is the records of earlier ingests whose files were not processed now, with this run's
// accepted ones, sorted by id.
func merge(master, fresh []*record, processed map[string]bool) []*record {
	freshIDs := map[string]bool{}
	for _, r := range fresh {
		freshIDs[r.ID] = true
	}
	var all []*record
	for _, r := range master {
		if !processed[r.SourcePath] && !freshIDs[r.ID] {
			all = append(all, r)
		}
	}
	all = append(all, fresh...)
	slices.SortFunc(all, func(a, b *record) int { return strings.Compare(a.ID, b.ID) })
	return all
}

// count fills rep's per-class and total counts from the final, split records and returns the
// rows of real/index.csv. A patient on both sides of the split is an internal error.
func count(rep *Report, all []*record, holdout float64) ([]workspace.RealImage, error) {
	pats := map[string]uint8{} // patient → the splits it has images in (splitBit)
	classPats := map[string]map[string]map[string]bool{}
	var index []workspace.RealImage
	for _, r := range all {
		if !r.Indexed {
			continue
		}
		index = append(index, workspace.RealImage{ID: r.ID, Patient: r.Patient, Class: r.Class, Split: r.Split, SHA256: r.SHA256, SourceKind: r.Kind})
		sc := rep.Classes[r.Class]
		if sc == nil {
			sc = &SplitCounts{}
			rep.Classes[r.Class] = sc
			classPats[r.Class] = map[string]map[string]bool{workspace.SplitTrain: {}, workspace.SplitHoldout: {}}
		}
		pats[r.Patient] |= splitBit(r.Split)
		classPats[r.Class][r.Split][r.Patient] = true
		rep.SourceKinds[r.Kind]++
		if r.Split == workspace.SplitHoldout {
			sc.Holdout++
			rep.Totals.Holdout++
		} else {
			sc.Train++
			rep.Totals.Train++
		}
	}
	for _, r := range rep.Rejected {
		if r.Class == "" {
			continue
		}
		if rep.Classes[r.Class] == nil {
			rep.Classes[r.Class] = &SplitCounts{}
		}
		rep.Classes[r.Class].Rejected++
		rep.Totals.Rejected++
	}
	for c, sc := range rep.Classes {
		sc.TrainPatients = len(classPats[c][workspace.SplitTrain])
		sc.HoldoutPatients = len(classPats[c][workspace.SplitHoldout])
	}
	for _, s := range pats {
		if bits.OnesCount8(s) > 1 {
			rep.PatientsInBothSplits++
		}
		if s&splitBit(workspace.SplitTrain) != 0 {
			rep.Totals.TrainPatients++
		}
		if s&splitBit(workspace.SplitHoldout) != 0 {
			rep.Totals.HoldoutPatients++
		}
	}
	if rep.PatientsInBothSplits != 0 {
		return nil, fmt.Errorf("internal error: %d patients in both splits", rep.PatientsInBothSplits)
	}
	for c, sc := range rep.Classes {
		if sc.Train+sc.Holdout > 0 && sc.Holdout == 0 && holdout > 0 {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("class %s has no held-out images (%d train patients): too few patients to split", c, sc.TrainPatients))
		}
	}
	return index, nil
}

// commit writes the ingest's result: the private map first (it knows every image), then the
// index, then workspace.json, and removes the images no record refers to any more.
func commit(ws *workspace.Workspace, from string, meta workspace.Meta, all []*record, index []workspace.RealImage, rep *Report, size int, seed uint64, selected []string) error {
	if err := writeSourceMap(ws.SourceMapPath(), all); err != nil {
		return err
	}
	if err := ws.WriteRealIndex(index); err != nil {
		return err
	}
	classes := selected
	if len(classes) == 0 {
		for c := range rep.Classes {
			classes = append(classes, c)
		}
		for _, c := range meta.Classes {
			if !slices.Contains(classes, c) {
				classes = append(classes, c)
			}
		}
		slices.Sort(classes)
	}
	// a raysynth phantom folder (phantom.json beside the images) marks the workspace for good
	_, perr := os.Stat(filepath.Join(from, "phantom.json"))
	phantom := meta.Phantom || perr == nil
	if err := ws.SaveMeta(workspace.Meta{ImageSize: size, Classes: classes, Seed: seed, Phantom: phantom}); err != nil {
		return err
	}
	return removeOrphans(ws, all)
}
