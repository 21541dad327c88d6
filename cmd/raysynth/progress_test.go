package main

import (
	"bytes"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Without -v and without a terminal, long tasks print plain progress lines and a closing line;
// tasks that finish before the first interval print nothing.
func TestLogReporterQuietPlainLines(t *testing.T) {
	var out bytes.Buffer
	quietLog := slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelWarn}))
	r := &logReporter{log: quietLog, every: time.Hour, out: &out, quiet: time.Hour}

	short := r.Start("short job", 10, "steps")
	short.Add(10)
	short.Done()
	if out.Len() != 0 {
		t.Fatalf("a short task printed %q", out.String())
	}

	r.quiet = 0
	long := r.Start("gan normal", 200, "steps")
	long.Status("epoch 3/20  D 0.512  G 2.100")
	long.Add(50)
	long.Add(50)
	long.Done()
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("want 2 progress lines and a closing one, got %q", out.String())
	}
	if !regexp.MustCompile(`^raysynth: gan normal: 50/200 steps \(25%\), [0-9.]+[µnm]?s elapsed, about [0-9.]+[µnm]?s left; epoch 3/20  D 0\.512  G 2\.100$`).MatchString(lines[0]) {
		t.Errorf("progress line %q", lines[0])
	}
	if !regexp.MustCompile(`^raysynth: gan normal: 100/200 steps, finished in [0-9.]+[µnm]?s; epoch 3/20`).MatchString(lines[2]) {
		t.Errorf("closing line %q", lines[2])
	}
}

// With -v the same tasks are reported as structured log lines, not plain ones.
func TestLogReporterVerboseLogs(t *testing.T) {
	var out bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&out, &slog.HandlerOptions{Level: slog.LevelInfo}))
	r := &logReporter{log: log, every: 0, out: &out, quiet: 0}
	task := r.Start("evaluate", 4, "models")
	task.Add(1)
	task.Done()
	s := out.String()
	if !strings.Contains(s, `"msg":"progress","task":"evaluate","done":1,"total":4`) || !strings.Contains(s, `"msg":"finished"`) || strings.Contains(s, "raysynth: evaluate") {
		t.Fatalf("verbose output %q", s)
	}
}
