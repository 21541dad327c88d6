package privacy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/raysynth/raysynth/internal/datatest"
	"github.com/raysynth/raysynth/internal/imageio"
	"github.com/raysynth/raysynth/internal/workspace"
)

// poolGenerator "generates" images of a class by handing out a fixed pool in order.
type poolGenerator struct {
	pool  map[string][]realImage
	next  map[string]int
	calls int
}

func (g *poolGenerator) Generate(_ context.Context, class string, n int, _ uint64, _ int64) ([][]float32, error) {
	g.calls++
	if g.next == nil {
		g.next = map[string]int{}
	}
	var out [][]float32
	for range n {
		p := g.pool[class]
		if len(p) == 0 {
			return nil, errors.New("empty pool")
		}
		m := p[g.next[class]%len(p)]
		g.next[class]++
		out = append(out, imageio.ToFloat(nil, m.img))
	}
	return out, nil
}

func byClass(ms []realImage) map[string][]realImage {
	out := map[string][]realImage{}
	for _, m := range ms {
		out[m.class] = append(out[m.class], m)
	}
	return out
}

// TestGeneratorReturningTrainingImages: a "generator" that hands back its training images is
// caught, and filtering cannot rescue it (every replacement is a copy too).
func TestGeneratorReturningTrainingImages(t *testing.T) {
	imgs := loadShared(t, "nih", 64)
	train, h := splitPatients(imgs, 0.6, 11)
	gen := &poolGenerator{pool: byClass(train)}
	var cands []realImage
	for _, class := range []string{"abnormal", "normal"} {
		px, err := gen.Generate(context.Background(), class, 30, 1, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range px {
			cands = append(cands, realImage{file: "gen.png", class: class, img: imageio.FromFloat(p, 64, 64)})
		}
	}
	ws := testWorkspace(t, 64, train, h, cands)
	res, err := Run(context.Background(), Config{Workspace: ws, Policy: DefaultPolicy()})
	if err != nil {
		t.Fatal(err)
	}
	if res.Passed || len(res.Flagged) != len(cands) {
		t.Fatalf("passed %v, flagged %d of %d generated copies", res.Passed, len(res.Flagged), len(cands))
	}
	_, err = Run(context.Background(), Config{Workspace: ws, Policy: DefaultPolicy(), Filter: true, Generator: gen, MaxRounds: 2})
	if !errors.Is(err, ErrAllFlagged) || !strings.Contains(err.Error(), "every candidate was flagged") {
		t.Fatalf("filtering a copying generator: err = %v, want every candidate flagged", err)
	}
}

// TestFilterReplacesFlagged: planted copies are removed, replaced from the generator and the
// rounds recorded; the approved set is written (workspace.WriteSynthIndex and its images) when the gate passes.
func TestFilterReplacesFlagged(t *testing.T) {
	imgs := loadShared(t, "nih", 64)
	train, hold := splitPatients(imgs, 0.5, 7)
	unseen, rest := splitPatients(hold, 0.4, 8)
	h, pool := splitPatients(rest, 0.6, 9)
	leaks := plantLeaks(train, 2, 3)
	cands := append(slices.Clone(unseen), leaks...)
	ws := testWorkspace(t, 64, train, h, cands)
	gen := &poolGenerator{pool: byClass(pool)}
	res, err := Run(context.Background(), Config{Workspace: ws, Policy: DefaultPolicy(), Filter: true, Generator: gen, MaxRounds: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Flagged) != 0 {
		t.Errorf("flagged after filtering: %v", res.Flagged)
	}
	f := res.Summary.Filter
	if f == nil || len(f.Rounds) != 1 || f.Removed != len(leaks) || !f.Reached {
		t.Fatalf("filter record %+v, want one round removing %d", f, len(leaks))
	}
	var gen0 int
	for _, n := range f.Rounds[0].Generated {
		gen0 += n
	}
	if gen0 != len(leaks) {
		t.Errorf("generated %d replacements, want %d", gen0, len(leaks))
	}
	for _, c := range res.Failed {
		t.Logf("failed after filtering: %s value %.4f bound %.4f %s %.4f", c.ID(), c.Value, c.Bound, c.Rule, c.Threshold)
	}
	if !res.Passed {
		if _, err := os.Stat(ws.ApprovedIndexPath()); err == nil {
			t.Error("approved set written although the gate failed")
		}
		return
	}
	rows, err := workspace.ReadSynthIndex(ws.ApprovedIndexPath())
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(cands) {
		t.Errorf("approved %d images, want the target %d", len(rows), len(cands))
	}
	for _, r := range rows {
		b, err := os.ReadFile(filepath.Join(ws.Path("approved"), filepath.FromSlash(r.File)))
		if err != nil {
			t.Fatal(err)
		}
		if s := sha256.Sum256(b); hex.EncodeToString(s[:]) != r.SHA256 || !strings.HasPrefix(r.File, "images/"+r.Class+"/") {
			t.Fatalf("approved row %+v does not match its file", r)
		}
	}
}

// TestCandidatesFolder checks a folder of images made elsewhere: PNG copies of training images at
// twice the workspace size (resized like the workspace) are flagged; a real DICOM film of
// nobody in the workspace is read and not flagged.
func TestCandidatesFolder(t *testing.T) {
	imgs := loadShared(t, "kermany", 128)
	train, h := splitPatients(imgs[:600], 0.6, 3)
	small := func(ms []realImage) []realImage {
		out := slices.Clone(ms)
		for i := range out {
			out[i].img = resizeBox(out[i].img, 64)
		}
		return out
	}
	ws := testWorkspace(t, 64, small(train), small(h), nil)
	dir := t.TempDir()
	for i, m := range train[:5] {
		p := filepath.Join(dir, m.class, "copy"+string(rune('a'+i))+".png")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if _, err := imageio.WriteGray(p, m.img); err != nil { // 128×128: resized on reading
			t.Fatal(err)
		}
	}
	dcm, err := os.ReadFile(filepath.Join(datatest.Require(t), "dicom", "nih_gcp_dx_native_mono2_1024.dcm"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "film.dcm"), dcm, 0o644); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "README.txt"), []byte("not an image"), 0o644)
	res, err := Run(context.Background(), Config{Workspace: ws, Policy: DefaultPolicy(), CandidatesDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if res.Passed {
		t.Error("gate passed on copies of training images")
	}
	var n int
	for _, id := range res.Flagged {
		if strings.Contains(id, "film") {
			t.Errorf("the DICOM film of an outside patient was flagged")
		}
		if strings.Contains(id, "copy") {
			n++
		}
	}
	if n != 5 {
		t.Errorf("flagged %v, want the 5 copies", res.Flagged)
	}
	if res.Summary.Counts.Candidates != 6 {
		t.Errorf("%d candidates read, want 5 PNG + 1 DICOM", res.Summary.Counts.Candidates)
	}
}

func TestGateErrors(t *testing.T) {
	if err := (&Result{Passed: true}).Err(); err != nil {
		t.Fatalf("passed gate: %v", err)
	}
	failed := []Check{{Name: "memorization", Passed: false}}
	err := fmt.Errorf("run: %w", (&Result{Failed: failed, ReportPath: "privacy/report.json"}).Err())
	var ge *GateError
	if !errors.As(err, &ge) || len(ge.Failed) != 1 || !errors.Is(err, ErrGateFailed) {
		t.Fatalf("failed gate: %v does not give the failed checks", err)
	}
	if !strings.Contains(err.Error(), "privacy/report.json") {
		t.Errorf("%v does not name the report", err)
	}
	if err := fmt.Errorf("filter: %w", ErrAllFlagged); !errors.Is(err, ErrGateFailed) || !errors.Is(err, ErrAllFlagged) {
		t.Errorf("%v: every candidate flagged must be a failed gate", err)
	}
}
