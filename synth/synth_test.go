package synth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/raysynth/raysynth/internal/imageio"
	"github.com/raysynth/raysynth/internal/workspace"
	"github.com/raysynth/raysynth/train"
	"github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"
)

// trainedWorkspace makes a 32×32 workspace with blob images (counts per class in the train split)
// and trains one-epoch generators for the classes in trainOn.
func trainedWorkspace(t *testing.T, counts map[string]int, trainOn []string) *workspace.Workspace {
	t.Helper()
	w, err := workspace.Init(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var classes []string
	var rows []workspace.RealImage
	rng := rand.New(rand.NewPCG(5, 6))
	for class, n := range counts {
		classes = append(classes, class)
		for i := 0; i < n; i++ {
			img := image.NewGray(image.Rect(0, 0, 32, 32))
			cx, cy := rng.IntN(32), rng.IntN(32)
			for y := 0; y < 32; y++ {
				for x := 0; x < 32; x++ {
					v := 20 + rng.IntN(30)
					if (x-cx)*(x-cx)+(y-cy)*(y-cy) < 60 {
						v += 160
					}
					img.Pix[y*32+x] = uint8(v)
				}
			}
			id := fmt.Sprintf("%s%03d", class, i)
			if _, err := imageio.WriteGray(w.RealImagePath(id), img); err != nil {
				t.Fatal(err)
			}
			rows = append(rows, workspace.RealImage{ID: id, Patient: id, Class: class, Split: workspace.SplitTrain, SHA256: "x", SourceKind: "png"})
		}
	}
	if err := w.SaveMeta(workspace.Meta{ImageSize: 32, Classes: classes, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteRealIndex(rows); err != nil {
		t.Fatal(err)
	}
	_, err = train.TrainGAN(context.Background(), train.GANConfig{Workspace: w, Classes: trainOn, Epochs: 1, Batch: 4, Size: 32,
		LR: 2e-4, Beta1: 0.5, Seed: 1, CheckpointEvery: 1, MinImages: 4, CodeVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestTargets(t *testing.T) {
	counts := map[string]int{"normal": 50, "effusion": 20, "edema": 5}
	cls := []string{"normal", "effusion", "edema"}
	for _, tc := range []struct {
		name       string
		perClass   int
		balance    bool
		maxPerReal float64
		want       map[string]int
	}{
		{"balance", 0, true, 0, map[string]int{"normal": 0, "effusion": 30, "edema": 45}},
		{"per class", 7, false, 0, map[string]int{"normal": 7, "effusion": 7, "edema": 7}},
		{"balance capped per real image", 0, true, 2.5, map[string]int{"normal": 0, "effusion": 30, "edema": 12}},
		{"per class capped per real image", 40, false, 1, map[string]int{"normal": 40, "effusion": 20, "edema": 5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Targets(counts, cls, tc.perClass, tc.balance, tc.maxPerReal)
			if !maps.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestBalanceWritesPNGAndDICOMDeterministically(t *testing.T) {
	w := trainedWorkspace(t, map[string]int{"normal": 9, "effusion": 4}, []string{"effusion"})
	cfg := Config{Workspace: w, Balance: true, Format: FormatBoth, Seed: 11, Batch: 4, CodeVersion: "test"}
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 5 {
		t.Fatalf("balance made %d images, want 9-4 = 5: %+v", res.Total, res)
	}
	idx, err := workspace.ReadSynthIndex(w.CandidatesIndexPath())
	if err != nil {
		t.Fatal(err)
	}
	sum, err := train.ReadGANSummary(filepath.Join(w.GANDir("effusion"), train.SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i, r := range idx {
		if r.Class != "effusion" || r.Generator != sum.CheckpointSHA256 || r.Seed != 11 || seen[r.ID] {
			t.Errorf("row %d: %+v", i, r)
		}
		seen[r.ID] = true
		if r.File != "candidates/effusion/"+r.ID+".png" || r.DICOM != "candidates/effusion/"+r.ID+".dcm" {
			t.Errorf("row %d paths: %+v", i, r)
		}
		img, err := imageio.ReadGray(filepath.Join(w.Path("synth"), r.File))
		if err != nil || img.Rect.Dx() != 32 {
			t.Errorf("row %d image: %v", i, err)
		}
	}
	before := snapshot(t, w.Path("synth"))
	if _, err := Run(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	after := snapshot(t, w.Path("synth"))
	if len(before) != len(after) || len(before) != 1+2*5 {
		t.Fatalf("files: %d then %d", len(before), len(after))
	}
	for name, b := range before {
		if !bytes.Equal(b, after[name]) {
			t.Errorf("%s differs between two runs with the same checkpoint and seed", name)
		}
	}
	cfg.Seed = 12
	if _, err := Run(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	other := snapshot(t, w.Path("synth"))
	if bytes.Equal(other["index.csv"], before["index.csv"]) {
		t.Error("another seed gave the same index")
	}
	leftovers, _ := filepath.Glob(filepath.Join(w.Dir, ".tmp-*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary folders left: %v", leftovers)
	}
}

func snapshot(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestMissingGeneratorIsAnError(t *testing.T) {
	w := trainedWorkspace(t, map[string]int{"normal": 8, "edema": 4}, []string{"normal"})
	_, err := Run(context.Background(), Config{Workspace: w, PerClass: 3, Format: FormatPNG, Seed: 1})
	if !errors.Is(err, ErrNoGenerator) || !strings.Contains(err.Error(), "raysynth train gan --classes edema") {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(w.CandidatesIndexPath()); !os.IsNotExist(err) {
		t.Error("a failed run left an index")
	}
}

func TestDICOMIsMarkedSynthetic(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 32, 32))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	b, err := encodeDICOM(img, dicomMeta{ID: "s-0123456789abcdef", Class: "effusion", Generator: strings.Repeat("ab", 32), CodeVersion: "test", Seed: 3, Sample: 4})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := dicom.Parse(bytes.NewReader(b), int64(len(b)), nil)
	if err != nil {
		t.Fatal(err)
	}
	str := func(tg tag.Tag) string {
		e, err := ds.FindElementByTag(tg)
		if err != nil {
			t.Fatalf("%v missing: %v", tg, err)
		}
		return strings.Join(dicom.MustGetStrings(e.Value), "\\")
	}
	for _, c := range []struct {
		t    tag.Tag
		want string
	}{
		{tag.SyntheticData, "YES"},
		{tag.ConversionType, "SYN"},
		{tag.BurnedInAnnotation, "NO"},
		{tag.SOPClassUID, SecondaryCaptureSOPClass},
		{tag.MediaStorageSOPClassUID, SecondaryCaptureSOPClass},
		{tag.PatientName, "SYNTHETIC^EFFUSION"},
		{tag.PhotometricInterpretation, "MONOCHROME2"},
	} {
		if got := str(c.t); got != c.want {
			t.Errorf("%v = %q, want %q", c.t, got, c.want)
		}
	}
	uids := map[string]bool{}
	for _, tg := range []tag.Tag{tag.SOPInstanceUID, tag.StudyInstanceUID, tag.SeriesInstanceUID, tag.MediaStorageSOPInstanceUID} {
		u := str(tg)
		if !strings.HasPrefix(u, "2.25.") || len(u) > 64 {
			t.Errorf("%v = %q, want a UID under 2.25.", tg, u)
		}
		uids[u] = true
	}
	if len(uids) != 3 || str(tag.SOPInstanceUID) != str(tag.MediaStorageSOPInstanceUID) {
		t.Errorf("UIDs: %v", uids)
	}
	pe, err := ds.FindElementByTag(tag.PixelData)
	if err != nil {
		t.Fatal(err)
	}
	fr, err := dicom.MustGetPixelDataInfo(pe.Value).Frames[0].GetNativeFrame()
	if err != nil || fr.Rows() != 32 || fr.RawDataSlice().([]uint8)[32+5] != img.Pix[32+5] {
		t.Errorf("pixels do not round-trip: %v", err)
	}

	// dcmtk's dcmdump reads it without a warning or an error.
	dcmdump, err := exec.LookPath("dcmdump")
	if err != nil {
		t.Fatal("dcmdump (dcmtk) not installed: run make deps-openblas (it installs dcmtk)")
	}
	p := filepath.Join(t.TempDir(), "s.dcm")
	os.WriteFile(p, b, 0o644)
	out, err := exec.Command(dcmdump, "-dc", "+L", p).CombinedOutput()
	if err != nil || bytes.Contains(out, []byte("W: ")) || bytes.Contains(out, []byte("E: ")) {
		t.Fatalf("dcmdump: %v\n%s", err, out)
	}
	if !bytes.Contains(out, []byte("(0008,001c) CS [YES")) { // this dcmtk predates the tag's name
		t.Errorf("dcmdump output lacks SyntheticData:\n%s", out)
	}
}
