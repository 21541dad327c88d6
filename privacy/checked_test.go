package privacy

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/raysynth/raysynth/internal/imageio"
	"github.com/raysynth/raysynth/internal/workspace"
)

func countRows(t *testing.T, p string) int {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "\n") - 1
}

// Real images of unseen patients in one folder without class folders are checked against every
// class pooled and pass; then a failed gate on copies mixed with them removes the approved/ of
// the passing run and keeps exactly the unflagged images in privacy/checked/ for an override.
func TestUnlabelledCandidatesAndCheckedSet(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 1,000 real images")
	}
	imgs := loadShared(t, "nih", 64)
	train, hold := splitPatients(imgs, 0.5, 7)
	s, h := splitPatients(hold, 0.5, 8)
	ws := testWorkspace(t, 64, train, h, nil)
	flat := t.TempDir()
	for i, m := range s {
		if _, err := imageio.WriteGray(filepath.Join(flat, "unseen-"+pad(i)+".png"), m.img); err != nil {
			t.Fatal(err)
		}
	}
	res, err := Run(context.Background(), Config{Workspace: ws, Policy: DefaultPolicy(), PolicySource: "default", CandidatesDir: flat})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Passed {
		for _, c := range res.Failed {
			t.Errorf("check %s failed: value %.4f bound %.4f %s %.4f %s", c.ID(), c.Value, c.Bound, c.Rule, c.Threshold, c.Note)
		}
		t.FailNow()
	}
	if n := countRows(t, ws.ApprovedIndexPath()); n != len(s) {
		t.Fatalf("approved %d, want %d", n, len(s))
	}

	for i, m := range train[:5] {
		if _, err := imageio.WriteGray(filepath.Join(flat, "copy-"+pad(i)+".png"), m.img); err != nil {
			t.Fatal(err)
		}
	}
	res, err = Run(context.Background(), Config{Workspace: ws, Policy: DefaultPolicy(), PolicySource: "default", CandidatesDir: flat})
	if err != nil {
		t.Fatal(err)
	}
	if res.Passed || len(res.Flagged) < 5 {
		t.Fatalf("copies passed: %+v", res.Failed)
	}
	for _, p := range []string{ws.ApprovedIndexPath(), ws.ApprovedDir()} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Fatalf("stale %s left after a failed gate", p)
		}
	}
	rows, err := workspace.ReadSynthIndex(ws.CheckedIndexPath())
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(s)+5-len(res.Flagged) {
		t.Fatalf("checked set %d rows, want %d candidates minus %d flagged", len(rows), len(s)+5, len(res.Flagged))
	}
	for _, r := range rows {
		if strings.Contains(r.ID, "copy-") {
			t.Fatalf("checked set keeps flagged copy %s", r.ID)
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(ws.CheckedIndexPath()), filepath.FromSlash(r.File))); err != nil {
			t.Fatal(err)
		}
	}
}

func pad(i int) string {
	s := []byte("000")
	for k := 2; k >= 0 && i > 0; k-- {
		s[k] = byte('0' + i%10)
		i /= 10
	}
	return string(s)
}
