package ingest

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/raysynth/raysynth/internal/progress"
)

// cancelAfter is a progress reporter that cancels the ingest after n files, like Ctrl-C.
type cancelAfter struct {
	n      int64
	done   atomic.Int64
	cancel context.CancelFunc
}

func (c *cancelAfter) Start(string, int64, string) progress.Task { return c }
func (c *cancelAfter) Add(n int64) {
	if c.done.Add(n) >= c.n {
		c.cancel()
	}
}
func (c *cancelAfter) Status(string) {}
func (c *cancelAfter) Done()         {}

func TestResumeAfterInterrupt(t *testing.T) {
	ref, ws := sharedSingle(t), t.TempDir()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := nihConfig(t, ws, PolicySingle)
	cfg.Progress = &cancelAfter{n: 300, cancel: cancel}
	if _, err := Run(ctx, cfg); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted ingest: %v, want context.Canceled", err)
	}
	for _, f := range []string{"real/index.csv", "workspace.json", "ingest/report.json", "private/source-map.csv"} {
		if _, err := os.Stat(filepath.Join(ws, f)); err == nil {
			t.Fatalf("interrupted ingest left %s in place", f)
		}
	}
	cfg.Progress = nil
	rep := mustRun(t, cfg)
	if rep.Files.Resumed == 0 || rep.Files.Accepted != 607 {
		t.Fatalf("resumed %d, accepted %d; want some resumed and 607", rep.Files.Resumed, rep.Files.Accepted)
	}
	if !maps.Equal(bySource(t, ref), bySource(t, ws)) {
		t.Fatal("resumed ingest differs from an uninterrupted one")
	}
}

// A kill -9 can leave a temporary file, a torn journal line, and no index: the next run cleans up
// and completes with the same result.
func TestResumeAfterKill(t *testing.T) {
	ws := t.TempDir()
	cfg := nihConfig(t, ws, PolicySingle)
	mustRun(t, cfg)
	index, _ := os.ReadFile(filepath.Join(ws, "real", "index.csv"))
	idx := readIndex(t, ws)
	os.Remove(filepath.Join(ws, "real", "index.csv"))
	lost := filepath.Join(ws, "real", "images", idx[0].ID+".png")
	os.Remove(lost)
	tmp := filepath.Join(ws, "real", "images", ".tmp-"+idx[1].ID+".png-123")
	os.WriteFile(tmp, []byte("half a PNG"), 0o644)
	f, _ := os.OpenFile(filepath.Join(ws, "private", "ingest-cache.jsonl"), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"path":"/x/y.png","size":12,"mti`)
	f.Close()

	rep := mustRun(t, cfg)
	got, _ := os.ReadFile(filepath.Join(ws, "real", "index.csv"))
	if !bytes.Equal(got, index) {
		t.Fatal("index after the resumed run differs")
	}
	if _, err := os.Stat(tmp); err == nil {
		t.Fatal("temporary file left in place")
	}
	if b, err := os.ReadFile(lost); err != nil || sha(b) != idx[0].SHA256 {
		t.Fatalf("lost image not rewritten: %v", err)
	}
	if rep.Files.Resumed != 606 {
		t.Fatalf("resumed %d, want 606 (all but the lost image)", rep.Files.Resumed)
	}
}
