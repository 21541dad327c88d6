package manifest

// The agreement checks of [Verify]: the signed files a bundle describes itself with
// (croissant.json, index.csv, provenance.json and the privacy report in it) agree with each
// other and with the payload manifest. A bundle whose signature is valid but whose files
// disagree (re-signed after an edit, or built wrong) fails here.

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/raysynth/raysynth/internal/contract"
)

// parseCroissant parses croissant.json; when trusted (its hash matched the signed tag manifest)
// its FileObjects' sizes bound how much of those files is read.
func (v *verifier) parseCroissant(data []byte, trusted bool) *croissant {
	var c croissant
	if err := strictObject(data, &c); err != nil {
		v.add(FileCroissant, KindMalformed, "not valid JSON: "+err.Error())
		return nil
	}
	for _, d := range c.Distribution {
		if d.Type != "cr:FileObject" || d.ContentURL == "" {
			continue
		}
		if n, err := strconv.ParseInt(strings.TrimSuffix(d.ContentSize, " B"), 10, 64); trusted && err == nil && n >= 0 {
			if d.ContentURL != FileTagManifest && d.ContentURL != FileCroissant {
				v.expect[d.ContentURL] = n
			}
		}
	}
	return &c
}

func (v *verifier) checkCroissant(c *croissant, payload map[string]string) {
	if c == nil {
		return
	}
	if c.Type != "sc:Dataset" {
		v.add(FileCroissant, KindMalformed, fmt.Sprintf("@type %q, want sc:Dataset", c.Type))
	}
	if c.ConformsTo != croissantConf {
		v.add(FileCroissant, KindMalformed, fmt.Sprintf("conformsTo %q, want %s", c.ConformsTo, croissantConf))
	}
	if c.Name == "" || c.Version == "" {
		v.add(FileCroissant, KindMalformed, "no name or version")
	}
	v.res.Name, v.res.Version = c.Name, c.Version
	objects, sets := 0, 0
	for _, d := range c.Distribution {
		switch d.Type {
		case "cr:FileObject":
			objects++
			want := v.listed[d.ContentURL].SHA256
			if want == "" {
				want = payload[d.ContentURL]
			}
			if want == "" {
				v.add(FileCroissant, KindMalformed, fmt.Sprintf("FileObject %s names a file no manifest lists", printable(d.ContentURL)))
				continue
			}
			if d.SHA256 != want {
				v.add(FileCroissant, KindMalformed, fmt.Sprintf("FileObject %s has sha256 %s, the manifest says %s", d.ContentURL, d.SHA256, want))
			}
			if got, ok := v.sizes[d.ContentURL]; ok && strconv.FormatInt(got, 10)+" B" != d.ContentSize {
				v.add(FileCroissant, KindMalformed, fmt.Sprintf("FileObject %s has contentSize %q, the file has %d bytes", d.ContentURL, d.ContentSize, got))
			}
		case "cr:FileSet":
			sets++
			if d.Includes == "" {
				v.add(FileCroissant, KindMalformed, fmt.Sprintf("FileSet %s has no includes", d.ID))
			}
		}
	}
	if objects == 0 || sets == 0 {
		v.add(FileCroissant, KindMalformed, "distribution needs FileObjects and a FileSet")
	}
	if len(c.RecordSet) == 0 || len(c.RecordSet[0].Field) == 0 {
		v.add(FileCroissant, KindMalformed, "no RecordSet with fields")
	}
	// @ids are unique and every field's source names a distribution entry.
	ids := map[string]bool{}
	for _, d := range c.Distribution {
		if ids[d.ID] {
			v.add(FileCroissant, KindMalformed, fmt.Sprintf("@id %q used twice", d.ID))
		}
		ids[d.ID] = true
	}
	for _, rs := range c.RecordSet {
		if len(rs.Data) > 0 && string(rs.Data) != "null" {
			continue // inline records: the fields need no source
		}
		for _, raw := range rs.Field {
			var f struct {
				Name   string `json:"name"`
				Source struct {
					FileObject *struct {
						ID string `json:"@id"`
					} `json:"fileObject"`
					FileSet *struct {
						ID string `json:"@id"`
					} `json:"fileSet"`
				} `json:"source"`
			}
			if err := json.Unmarshal(raw, &f); err != nil {
				v.add(FileCroissant, KindMalformed, "field: "+err.Error())
				continue
			}
			ref := ""
			switch {
			case f.Source.FileObject != nil:
				ref = f.Source.FileObject.ID
			case f.Source.FileSet != nil:
				ref = f.Source.FileSet.ID
			}
			if !ids[ref] {
				v.add(FileCroissant, KindMalformed, fmt.Sprintf("field %q has no source in the distribution", f.Name))
			}
		}
	}
}

func (v *verifier) checkIndex(rows []indexRow, payload map[string]string) {
	if rows == nil {
		return
	}
	inIndex := map[string]bool{FileIndex: true}
	for _, r := range rows {
		v.res.ImagesPerClass[r.Class]++
		v.res.Images++
		for _, f := range [][2]string{{r.File, r.SHA256}, {r.DICOM, r.DICOMSHA256}} {
			if f[0] == "" {
				continue
			}
			p := "data/" + f[0]
			inIndex[p] = true
			if want, ok := payload[p]; !ok {
				v.add(FileIndex, KindMalformed, "row "+r.ID+" names "+f[0]+", which "+FileManifest+" does not list")
			} else if want != f[1] {
				v.add(FileIndex, KindMalformed, "row "+r.ID+" gives sha256 "+f[1]+" for "+f[0]+", "+FileManifest+" says "+want)
			}
		}
	}
	for p := range payload {
		if !inIndex[p] {
			v.add(FileIndex, KindMalformed, "has no row for "+p)
		}
	}
}

func (v *verifier) checkProvenance(data, privacyReport []byte, index []indexRow) {
	var st statement
	if err := strictObject(data, &st); err != nil {
		v.add(FileProvenance, KindMalformed, "not valid JSON: "+err.Error())
		return
	}
	if st.Type != statementType || st.PredicateType != slsaPredicate {
		v.add(FileProvenance, KindMalformed, fmt.Sprintf("not an in-toto Statement v1 with a SLSA provenance v1 predicate (_type %q, predicateType %q)", st.Type, st.PredicateType))
		return
	}
	subjects := map[string]string{}
	for _, s := range st.Subject {
		subjects[s.Name] = s.Digest.SHA256
		got, ok := v.hashes[s.Name]
		if !ok {
			v.add(FileProvenance, KindMalformed, fmt.Sprintf("subject %s is not a file of the bundle", printable(s.Name)))
			continue
		}
		if got != s.Digest.SHA256 {
			v.add(FileProvenance, KindMalformed, fmt.Sprintf("subject %s has sha256 %s, the file has %s", s.Name, s.Digest.SHA256, got))
		}
	}
	for _, need := range []string{FileTagManifest, FileManifest, FileCroissant} {
		if _, ok := subjects[need]; !ok {
			v.add(FileProvenance, KindMalformed, "no subject "+need)
		}
	}
	ext := st.Predicate.BuildDefinition.ExternalParameters
	if v.res.Name != "" && (ext.Name != v.res.Name || ext.Version != v.res.Version) {
		v.add(FileProvenance, KindMalformed, fmt.Sprintf("names %s %s, croissant.json names %s %s", ext.Name, ext.Version, v.res.Name, v.res.Version))
	}
	if v.res.Name == "" {
		v.res.Name, v.res.Version = ext.Name, ext.Version
	}
	in := st.Predicate.BuildDefinition.InternalParameters
	v.res.PrivacyPassed = in.Privacy.Passed
	v.res.FailedChecks = in.Privacy.FailedChecks
	v.res.Overrides = in.Overrides
	if privacyReport != nil {
		ps, err := parsePrivacySummary(privacyReport)
		if err != nil {
			v.add(FilePrivacyReport, KindMalformed, err.Error())
		} else if *ps.Passed != in.Privacy.Passed {
			v.add(FileProvenance, KindMalformed, "privacy result disagrees with "+FilePrivacyReport)
		}
		if got := v.hashes[FilePrivacyReport]; in.Privacy.ReportSHA256 != got {
			v.add(FileProvenance, KindMalformed, "privacy report_sha256 disagrees with "+FilePrivacyReport)
		}
	}
	if !in.Privacy.Passed && len(in.Overrides) == 0 {
		v.add(FileProvenance, KindMalformed, "the privacy gate failed and no override is recorded")
	}
	checkpoints := map[string]bool{}
	var dp *DP
	for _, raw := range in.Generators {
		var g contract.GANSummary
		if err := json.Unmarshal(raw, &g); err != nil {
			v.add(FileProvenance, KindMalformed, "generator summary: "+err.Error())
			continue
		}
		checkpoints[g.CheckpointSHA256] = true
		if g.DP != nil {
			if dp == nil {
				dp = &DP{PerClass: map[string]float64{}}
			}
			dp.PerClass[g.Class] = g.DP.Epsilon
			if g.DP.Epsilon >= dp.Epsilon {
				dp.Epsilon, dp.Delta = g.DP.Epsilon, g.DP.Delta
			}
		}
	}
	v.res.DP = dp
	if len(checkpoints) > 0 {
		for _, r := range index {
			if !checkpoints[r.Generator] {
				v.add(FileIndex, KindMalformed, "row "+r.ID+": generator "+r.Generator+" is not a checkpoint recorded in "+FileProvenance)
				break
			}
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
