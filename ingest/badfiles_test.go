package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/raysynth/raysynth/internal/datatest"
	"github.com/raysynth/raysynth/internal/dicomio/dicomtest"
	"github.com/raysynth/raysynth/internal/progress"
)

// film makes a w×h gray PNG with a pattern that depends on seed (so films differ).
func film(t testing.TB, w, h, seed int) []byte {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			g.Pix[y*w+x] = uint8((x*3 + y*seed + seed*seed) % 251)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, g); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func jpegFilm(t testing.TB, w, h int) []byte {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = uint8(i * 7 % 200)
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, g, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func dicomFilm(modality, ts string, encapsulated []byte) []byte {
	px := make([]uint16, 96*96)
	for i := range px {
		px[i] = uint16(i % 1000)
	}
	elems := dicomtest.ImageElems(96, 96, "MONOCHROME2", 12, px)
	elems[0] = dicomtest.Str(0x0008, 0x0060, "CS", modality)
	if encapsulated != nil {
		elems = elems[:len(elems)-1]
	}
	return dicomtest.Build(ts, false, false, elems, encapsulated)
}

// writeFolder writes files (slash paths relative to dir) and returns dir.
func writeFolder(t testing.TB, dir string, files map[string][]byte) string {
	for name, b := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// badFolder holds good films and one file for every rejection reason, with plain labels.
func badFolder(t testing.TB) string {
	good := film(t, 80, 80, 1)
	trunc := film(t, 80, 80, 2)
	blank := image.NewGray(image.Rect(0, 0, 70, 70))
	var bb bytes.Buffer
	png.Encode(&bb, blank)
	files := map[string][]byte{
		"images/good1.png":     good,
		"images/good2.png":     film(t, 100, 90, 3),
		"images/sub/good3.dcm": dicomFilm("DX", "1.2.840.10008.1.2.1", nil),
		"images/good4.jpeg":    jpegFilm(t, 90, 90),
		"images/copy-of-1.png": good,                                                                                                                     // duplicate (same file)
		"images/truncated.png": trunc[:len(trunc)/2],                                                                                                     // unreadable
		"images/garbage.dcm":   []byte("this is not a DICOM file at all"),                                                                                // unrecognized
		"images/j2k.dcm":       dicomFilm("DX", "1.2.840.10008.1.2.4.92", []byte{0xFF, 0x4F, 0xFF, 0x51}),                                                // unsupported
		"images/ct.dcm":        dicomFilm("CT", "1.2.840.10008.1.2.1", nil),                                                                              // not a chest film
		"images/tiny.png":      film(t, 20, 20, 4),                                                                                                       // too small
		"images/blank.png":     bb.Bytes(),                                                                                                               // blank
		"images/banner.png":    film(t, 300, 60, 5),                                                                                                      // not a chest film (aspect)
		"images/nolabel.png":   film(t, 80, 80, 6),                                                                                                       // unlabeled
		"images/other.png":     film(t, 80, 80, 7),                                                                                                       // class not selected
		"images/two.png":       film(t, 80, 80, 8),                                                                                                       // multiple findings
		"images/DICOMDIR":      dicomtest.Build("1.2.840.10008.1.2.1", false, false, []dicomtest.El{dicomtest.Str(0x0004, 0x1130, "CS", "EXPORT")}, nil), // ignored: no image
		"images/notes.txt":     []byte("steward's notes"),                                                                                                // ignored
		"images/.hidden.png":   []byte("hidden files are skipped"),
		"labels.csv": []byte("file,label,patient\n" +
			"images/good1.png,normal,P1\nimages/good2.png,effusion,P2\nimages/sub/good3.dcm,normal,P3\nimages/good4.jpeg,effusion,P3\n" +
			"images/copy-of-1.png,normal,P1\nimages/truncated.png,normal,P4\nimages/garbage.dcm,normal,P5\n" +
			"images/j2k.dcm,normal,P6\nimages/ct.dcm,normal,P7\nimages/tiny.png,normal,P8\nimages/blank.png,normal,P9\n" +
			"images/banner.png,normal,P10\nimages/other.png,nodule,P11\nimages/two.png,normal|effusion,P12\n" +
			"images/missing.png,normal,P13\n"),
	}
	return writeFolder(t, t.TempDir(), files)
}

func TestBadFilesAreReportedNotFatal(t *testing.T) {
	in := badFolder(t)
	ws := t.TempDir()
	cfg := baseConfig(filepath.Join(in, "images"), ws)
	cfg.Labels = filepath.Join(in, "labels.csv")
	cfg.Classes = []string{"normal", "effusion"}
	statuses := &statusLog{}
	cfg.Progress = statuses
	rep := mustRun(t, cfg)
	if rep.Files.Accepted != 4 || rep.Files.Ignored != 2 || rep.Files.Seen != 17 {
		t.Fatalf("files %+v, want 4 accepted, 2 ignored, 17 seen", rep.Files)
	}
	// The bar's last state agrees with the summary, although the duplicate was counted as
	// accepted while the files were decoded.
	if want := fmt.Sprintf("%d accepted, %d rejected", rep.Files.Accepted, rep.Files.Rejected); statuses.last() != want || !statuses.done {
		t.Errorf("last status %q (done %v), want %q", statuses.last(), statuses.done, want)
	}
	if !slices.Contains(statuses.all, fmt.Sprintf("%d accepted, %d rejected", rep.Files.Accepted+1, rep.Files.Rejected-1)) {
		t.Errorf("no status counted the duplicate as accepted while decoding: %q", statuses.all)
	}
	if rep.SourceKinds["png"] != 2 || rep.SourceKinds["jpeg"] != 1 || rep.SourceKinds["dicom"] != 1 {
		t.Fatalf("source kinds %v", rep.SourceKinds)
	}
	want := map[string]int{ReasonDuplicate: 1, ReasonUnreadable: 1, ReasonUnrecognized: 1, ReasonUnsupported: 1,
		ReasonNotChest: 2, ReasonTooSmall: 1, ReasonBlank: 1, ReasonUnlabeled: 1, ReasonNotSelected: 1, ReasonMultiple: 1}
	for r, n := range want {
		if rep.Rejections[r] != n {
			t.Errorf("%s: %d rejected, want %d (all: %v)", r, rep.Rejections[r], n, rep.Rejections)
		}
	}
	// Rejections after the label was read count against the class (duplicate, unreadable,
	// unsupported, two not-chest, too small, blank).
	if rep.Classes["normal"].Rejected != 7 || rep.Totals.Rejected != 7 {
		t.Errorf("normal rejected %d, total %d; want 7", rep.Classes["normal"].Rejected, rep.Totals.Rejected)
	}
	if rep.LabelRowsWithoutFile != 1 {
		t.Errorf("label rows without file %d, want 1", rep.LabelRowsWithoutFile)
	}
	var j2k string
	for _, r := range rep.Rejected {
		if r.Reason == ReasonUnsupported {
			j2k = r.Detail
		}
		if strings.Contains(r.Detail, ".png") || strings.Contains(r.Detail, ".dcm") || strings.Contains(r.Detail, in) {
			t.Errorf("report detail names a file: %q", r.Detail)
		}
	}
	if !strings.Contains(j2k, "1.2.840.10008.1.2.4.92") || !strings.Contains(j2k, "JPEG 2000") {
		t.Errorf("unsupported detail %q does not name the transfer syntax", j2k)
	}
	// The private list maps each reference back to its file.
	list, err := os.ReadFile(filepath.Join(ws, "private", "ingest-rejected.csv"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Rejected {
		if !bytes.Contains(list, []byte(r.Ref+","+r.Reason)) {
			t.Errorf("rejected list lacks %s", r.Ref)
		}
	}
	if !bytes.Contains(list, []byte("j2k.dcm")) {
		t.Error("rejected list does not name the source files")
	}
	rb, _ := os.ReadFile(filepath.Join(ws, "ingest", "report.json"))
	for _, name := range []string{"j2k.dcm", "truncated.png", "good1.png", "P12", "images/"} {
		if bytes.Contains(rb, []byte(name)) {
			t.Errorf("public report contains %q", name)
		}
	}
	if got := readIndex(t, ws); len(got) != 4 {
		t.Fatalf("index has %d rows, want 4", len(got))
	}
}

func TestStrict(t *testing.T) {
	in := badFolder(t)
	ws := t.TempDir()
	cfg := baseConfig(filepath.Join(in, "images"), ws)
	cfg.Labels = filepath.Join(in, "labels.csv")
	cfg.Classes = []string{"normal", "effusion"}
	cfg.Strict = true
	rep, err := Run(context.Background(), cfg)
	if !errors.Is(err, ErrRejected) || rep == nil || len(rep.Rejected) != 11 {
		t.Fatalf("strict: err %v, report %v", err, rep != nil)
	}
	if _, err := os.Stat(filepath.Join(ws, "real", "index.csv")); err == nil {
		t.Fatal("strict ingest with rejections wrote an index")
	}
	if _, err := os.Stat(filepath.Join(ws, "ingest", "report.json")); err != nil {
		t.Fatal("strict ingest wrote no report")
	}
}

func TestNoLabelsGroupsByDICOMPatient(t *testing.T) {
	ws := t.TempDir()
	rep := mustRun(t, baseConfig(filepath.Join(datatest.Require(t), "dicom"), ws))
	// The two SIIM files share a PatientID; the raw file has no PatientID but a
	// StudyInstanceUID: three patients.
	if rep.Files.Accepted != 4 || rep.Totals.TrainPatients+rep.Totals.HoldoutPatients != 3 {
		t.Fatalf("accepted %d, patients %+v; want 4 images of 3 patients", rep.Files.Accepted, rep.Totals)
	}
	if len(rep.LooksInverted) != 1 {
		t.Fatalf("looks inverted: %v, want exactly the MONOCHROME1-flagged copy", rep.LooksInverted)
	}
	idx := readIndex(t, ws)
	classes := map[string]bool{}
	for _, r := range idx {
		classes[r.Class] = true
	}
	if len(classes) != 1 || !classes[Unlabeled] {
		t.Fatalf("classes %v, want unlabeled", classes)
	}
	sm, err := os.ReadFile(filepath.Join(ws, "private", "source-map.csv"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(sm), "\n") {
		if strings.HasPrefix(line, rep.LooksInverted[0]+",") && !strings.Contains(line, "mono1flag") {
			t.Fatalf("flagged image is not the MONOCHROME1-flagged file: %s", line)
		}
	}
}

// A big multi-frame DICOM is refused from its header, without decoding its pixels.
func TestBigDICOMCheckedByHeader(t *testing.T) {
	old := bigDICOM
	bigDICOM = 1000
	defer func() { bigDICOM = old }()
	px := make([]uint16, 3*64*64)
	elems := dicomtest.ImageElems(64, 64, "MONOCHROME2", 12, px)
	multi := dicomtest.Build("1.2.840.10008.1.2.1", false, false, append(elems, dicomtest.Str(0x0028, 0x0008, "IS", "3")), nil)
	single := dicomFilm("DX", "1.2.840.10008.1.2.1", nil)
	in := writeFolder(t, t.TempDir(), map[string][]byte{"multi.dcm": multi, "single.dcm": single})
	rep := mustRun(t, baseConfig(in, t.TempDir()))
	if rep.Files.Accepted != 1 || rep.Rejections[ReasonUnsupported] != 1 {
		t.Fatalf("accepted %d, rejections %v; want the single-frame film only", rep.Files.Accepted, rep.Rejections)
	}
	if d := rep.Rejected[0].Detail; !strings.Contains(d, "3 frames") {
		t.Fatalf("detail %q", d)
	}
}

// Losing the secret must not silently re-key a workspace.
func TestMissingSecretRefused(t *testing.T) {
	in := writeFolder(t, t.TempDir(), map[string][]byte{"a.png": film(t, 80, 80, 1), "b.png": film(t, 80, 80, 2)})
	ws := t.TempDir()
	mustRun(t, baseConfig(in, ws))
	if err := os.Remove(filepath.Join(ws, "private", "secret.key")); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), baseConfig(in, ws)); err == nil || !strings.Contains(err.Error(), "restore the key") {
		t.Fatalf("err %v, want a refusal", err)
	}
}

// A second ingest into a workspace that another ingest holds is refused, not interleaved.
func TestConcurrentIngestRefused(t *testing.T) {
	in := writeFolder(t, t.TempDir(), map[string][]byte{"a.png": film(t, 80, 80, 1)})
	ws := t.TempDir()
	mustRun(t, baseConfig(in, ws))
	j, err := openJournal(filepath.Join(ws, "private", "ingest-cache.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), baseConfig(in, ws)); !errors.Is(err, ErrBusy) {
		t.Fatalf("err %v, want ErrBusy", err)
	}
	j.close()
	mustRun(t, baseConfig(in, ws))
}

// statusLog is a progress.Reporter that keeps every status line of its one task.
type statusLog struct {
	mu   sync.Mutex
	all  []string
	done bool
}

func (s *statusLog) Start(string, int64, string) progress.Task { return s }
func (s *statusLog) Add(int64)                                 {}
func (s *statusLog) Status(m string)                           { s.mu.Lock(); s.all = append(s.all, m); s.mu.Unlock() }
func (s *statusLog) Done()                                     { s.mu.Lock(); s.done = true; s.mu.Unlock() }
func (s *statusLog) last() string {
	if len(s.all) == 0 {
		return ""
	}
	return s.all[len(s.all)-1]
}
