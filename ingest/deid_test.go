package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/suyashkumar/dicom/pkg/tag"

	"github.com/raysynth/raysynth/internal/datatest"
	"github.com/raysynth/raysynth/internal/dicomio"
	"github.com/raysynth/raysynth/internal/dicomio/dicomtest"
	"github.com/raysynth/raysynth/internal/workspace"
)

// identifyingTags are the attributes the de-identification test plants markers in: names, IDs,
// dates, UIDs, institution, accession, station, device serial, comments and descriptions.
var identifyingTags = []struct {
	t    tag.Tag
	vr   string
	kind string // "text", "date" or "uid": how a unique marker is spelled
}{
	{tag.PatientName, "PN", "text"},
	{tag.PatientID, "LO", "text"},
	{tag.OtherPatientIDs, "LO", "text"},
	{tag.PatientBirthDate, "DA", "date"},
	{tag.PatientAddress, "LO", "text"},
	{tag.StudyDate, "DA", "date"},
	{tag.SeriesDate, "DA", "date"},
	{tag.AcquisitionDate, "DA", "date"},
	{tag.ContentDate, "DA", "date"},
	{tag.AccessionNumber, "SH", "text"},
	{tag.InstitutionName, "LO", "text"},
	{tag.InstitutionAddress, "ST", "text"},
	{tag.InstitutionalDepartmentName, "LO", "text"},
	{tag.ReferringPhysicianName, "PN", "text"},
	{tag.OperatorsName, "PN", "text"},
	{tag.PerformingPhysicianName, "PN", "text"},
	{tag.StationName, "SH", "text"},
	{tag.DeviceSerialNumber, "LO", "text"},
	{tag.StudyID, "SH", "text"},
	{tag.StudyDescription, "LO", "text"},
	{tag.ImageComments, "LT", "text"},
	{tag.PatientComments, "LT", "text"},
	{tag.StudyInstanceUID, "UI", "uid"},
	{tag.SeriesInstanceUID, "UI", "uid"},
	{tag.SOPInstanceUID, "UI", "uid"},
}

// TestDeidentification plants a unique marker in every identifying attribute and a private tag
// of each shared DICOM file, ingests them, and proves that no marker, source file name or
// source path appears in any file of the workspace outside private/.
func TestDeidentification(t *testing.T) { checkDeidentified(t, nil) }

// TestDeidentificationCompressed does the same with the marked files compressed as a PACS
// exports them (JPEG 2000, JPEG-LS, lossless JPEG, RLE; markers and private tags kept by the
// tools), one ingest per transfer syntax.
func TestDeidentificationCompressed(t *testing.T) {
	for _, name := range []string{"j2k-lossless", "jpeg-ls-lossless", "jpeg-lossless-sv1", "rle"} {
		var enc dicomtest.Encoder
		for _, e := range dicomtest.Encoders {
			if e.Name == name {
				enc = e
			}
		}
		compress := func(b []byte) ([]byte, error) {
			// gdcmconv --raw makes every shared file (JPEG baseline, raw dataset) a plain
			// Part-10 file the encoders accept.
			native, err := dicomtest.Run([]string{"gdcmconv", "--raw"}, b)
			if err != nil {
				return nil, err
			}
			out, err := dicomtest.Encode(enc, native)
			if err == nil && !bytes.Contains(out[:min(len(out), 1024)], []byte(enc.UID)) {
				err = fmt.Errorf("%s did not write %s", enc.Args[0], enc.UID)
			}
			return out, err
		}
		t.Run(name, func(t *testing.T) {
			if !codecInBuild(enc.UID) {
				// A build without the library refuses the files, naming the package.
				b, err := os.ReadFile(filepath.Join(datatest.Require(t), "dicom", "nih_gcp_dx_native_mono2_1024.dcm"))
				if err != nil {
					t.Fatal(err)
				}
				if b, err = compress(b); err != nil {
					t.Fatal(err)
				}
				var mce *dicomio.MissingCodecError
				if _, _, err := dicomio.Decode(b); !errors.As(err, &mce) || !strings.Contains(err.Error(), mce.Package) {
					t.Fatalf("build without the codec: %v, want a MissingCodecError naming the package", err)
				}
				return
			}
			checkDeidentified(t, compress)
		})
	}
}

// codecInBuild reports whether this build decodes the transfer syntax uid.
func codecInBuild(uid string) bool {
	for _, c := range dicomio.Codecs() {
		for _, ts := range c.TransferSyntaxes {
			if ts == uid {
				return c.Available
			}
		}
	}
	return false
}

// checkDeidentified runs the de-identification check on the shared DICOM files, each passed
// through compress when it is not nil.
func checkDeidentified(t *testing.T, compress func([]byte) ([]byte, error)) {
	src := filepath.Join(datatest.Require(t), "dicom")
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(t.TempDir(), "export-MRKFOLDER")
	if err := os.MkdirAll(in, 0o755); err != nil {
		t.Fatal(err)
	}
	var markers, names []string
	n := 0
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".dcm") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		var ms []dicomtest.Marker
		for i, it := range identifyingTags {
			var v string
			switch it.kind {
			case "date":
				v = fmt.Sprintf("19%02d%02d%02d", 10+n, 1+i%12, 1+i) // unique per file and tag
			case "uid":
				v = fmt.Sprintf("2.25.%d%06d7", 9000+n, 100000+i)
			default:
				v = fmt.Sprintf("MRK%dX%02dQZ", n, i)
			}
			markers = append(markers, v)
			ms = append(ms, dicomtest.Marker{Tag: it.t, VR: it.vr, Value: v})
		}
		priv := fmt.Sprintf("MRK%dPRIVATEQZ", n)
		creator := fmt.Sprintf("MRK%dCREATORQZ", n)
		markers = append(markers, priv, creator)
		marked, err := dicomtest.Mark(data, ms, creator, priv)
		if err != nil {
			t.Fatalf("mark %s: %v", e.Name(), err)
		}
		if compress != nil {
			if marked, err = compress(marked); err != nil {
				t.Fatalf("compress %s: %v", e.Name(), err)
			}
			for _, m := range ms[:3] {
				if !bytes.Contains(marked, []byte(m.Value)) {
					t.Fatalf("compressed %s lost the marker %s: the test would prove nothing", e.Name(), m.Value)
				}
			}
		}
		name := fmt.Sprintf("MRK%dNAME_%s", n, e.Name())
		names = append(names, name)
		if err := os.WriteFile(filepath.Join(in, name), marked, 0o644); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 4 {
		t.Fatalf("found %d shared DICOM files, want 4", n)
	}
	ws := t.TempDir()
	rep := mustRun(t, baseConfig(in, ws))
	if rep.Files.Accepted != 4 {
		t.Fatalf("accepted %d of the 4 marked DICOM files: %+v", rep.Files.Accepted, rep.Rejected)
	}
	if rep.Totals.TrainPatients+rep.Totals.HoldoutPatients != 4 {
		// Every file now has its own marked PatientID, so four patients.
		t.Fatalf("patients %+v, want 4", rep.Totals)
	}
	needles := append(append(markers, names...), in, filepath.Base(in))
	foundPrivate := map[string]bool{}
	err = filepath.WalkDir(ws, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(ws, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range needles {
			if strings.Contains(rel, m) || bytes.Contains(b, []byte(m)) {
				if workspace.IsPrivate(rel) {
					foundPrivate[m] = true
					continue
				}
				t.Errorf("%s contains %q", rel, m)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The private trace does hold the source paths and patient ids: the search above works.
	if !foundPrivate[names[0]] || !foundPrivate[markers[1]] {
		sm, _ := os.ReadFile(filepath.Join(ws, "private", "source-map.csv"))
		t.Fatalf("private source map lacks the source path or patient id: found %v\n%s", foundPrivate, sm)
	}
	for _, f := range []string{"secret.key", "source-map.csv", "ingest-rejected.csv", "ingest-cache.jsonl"} {
		st, err := os.Stat(filepath.Join(ws, "private", f))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("private/%s: %v, mode %v; want 0600", f, err, st.Mode().Perm())
		}
	}
}
