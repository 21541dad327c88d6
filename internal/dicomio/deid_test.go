package dicomio

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/raysynth/raysynth/internal/dicomio/dicomtest"
	"github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"
)

// Deidentify removes every planted marker (names, ids, dates, UIDs, institution, station, device,
// comments, a private block) from the shared files, writes a file that still decodes to the same
// pixels, and remaps UIDs consistently.
func TestDeidentifyRemovesMarkers(t *testing.T) {
	dir := sharedDICOM(t)
	entries, _ := os.ReadDir(dir)
	targets := []struct {
		t  tag.Tag
		vr string
	}{
		{tag.PatientName, "PN"}, {tag.PatientID, "LO"}, {tag.OtherPatientIDs, "LO"}, {tag.PatientAddress, "LO"},
		{tag.AccessionNumber, "SH"}, {tag.InstitutionName, "LO"}, {tag.InstitutionAddress, "ST"},
		{tag.ReferringPhysicianName, "PN"}, {tag.OperatorsName, "PN"}, {tag.StationName, "SH"},
		{tag.DeviceSerialNumber, "LO"}, {tag.StudyID, "SH"}, {tag.StudyDescription, "LO"},
		{tag.ImageComments, "LT"}, {tag.PatientComments, "LT"}, {tag.InstitutionalDepartmentName, "LO"},
	}
	n := 0
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".dcm") {
			continue
		}
		t.Run(e.Name(), func(t *testing.T) {
			orig, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			var ms []dicomtest.Marker
			var markers []string
			for i, tg := range targets {
				v := fmt.Sprintf("MRK%dD%02dQZ", n, i)
				ms = append(ms, dicomtest.Marker{Tag: tg.t, VR: tg.vr, Value: v})
				markers = append(markers, v)
			}
			dates := []string{"19310203", "19320304", "19330405", "19340506"}
			for i, tg := range []tag.Tag{tag.PatientBirthDate, tag.StudyDate, tag.SeriesDate, tag.AcquisitionDate} {
				ms = append(ms, dicomtest.Marker{Tag: tg, VR: "DA", Value: dates[i]})
			}
			markers = append(markers, dates...)
			uids := []string{fmt.Sprintf("2.25.777%d01", n), fmt.Sprintf("2.25.777%d02", n), fmt.Sprintf("2.25.777%d03", n)}
			for i, tg := range []tag.Tag{tag.StudyInstanceUID, tag.SeriesInstanceUID, tag.SOPInstanceUID} {
				ms = append(ms, dicomtest.Marker{Tag: tg, VR: "UI", Value: uids[i]})
			}
			markers = append(markers, uids...)
			markers = append(markers, "MRKPRIVATEQZ", "MRKCREATORQZ")
			n++
			marked, err := dicomtest.Mark(orig, ms, "MRKCREATORQZ", "MRKPRIVATEQZ")
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range markers {
				if !bytes.Contains(marked, []byte(m)) {
					t.Fatalf("marker %s not planted", m)
				}
			}
			ds, err := dicom.Parse(bytes.NewReader(marked), int64(len(marked)), nil, dicom.SkipProcessingPixelDataValue(), dicom.AllowMissingMetaElementGroupLength())
			if err != nil {
				t.Fatal(err)
			}
			remap := UIDRemapper([]byte("test key"))
			if err := Deidentify(&ds, remap); err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := dicom.Write(&out, ds, dicom.SkipVRVerification(), dicom.SkipValueTypeVerification(), dicom.DefaultMissingTransferSyntax()); err != nil {
				t.Fatal(err)
			}
			for _, m := range markers {
				if bytes.Contains(out.Bytes(), []byte(m)) {
					t.Errorf("de-identified file still contains %q", m)
				}
			}
			if !bytes.Contains(out.Bytes(), []byte(remap(uids[0]))) || !bytes.Contains(out.Bytes(), []byte("YES")) {
				t.Error("remapped StudyInstanceUID or PatientIdentityRemoved missing")
			}
			_, p1, err := Decode(marked)
			if err != nil {
				t.Fatal(err)
			}
			_, p2, err := Decode(out.Bytes())
			if err != nil {
				t.Fatalf("de-identified file does not decode: %v", err)
			}
			for i := range p1.Pix {
				if p1.Pix[i] != p2.Pix[i] {
					t.Fatalf("pixel %d changed", i)
				}
			}
		})
	}
	if n != 4 {
		t.Fatalf("%d shared DICOM files, want 4", n)
	}
}
