package main

import (
	"bytes"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/raysynth/raysynth/internal/progress"
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
	if !regexp.MustCompile(`^raysynth: gan normal: 50/200 steps \(25%\), [0-9.]+[µnm]?s elapsed, (a few seconds|about [0-9]+ (s|min)) left; epoch 3/20  D 0\.512  G 2\.100$`).MatchString(lines[0]) {
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

// The time left is labelled and in words, for the task and, for part K of N, for the whole command.
func TestTimingSaysElapsedAndTimeLeft(t *testing.T) {
	for _, tc := range []struct {
		el          time.Duration
		done, total int64
		part        progress.Part
		want        string
	}{
		{3*time.Minute + 8*time.Second, 131, 344, progress.Part{}, "3m8s elapsed, about 5 min left"},
		{3*time.Minute + 8*time.Second, 131, 344, progress.Part{Label: "class", K: 2, N: 3}, "3m8s elapsed, about 5 min left; all 3 classes: about 13 min left"},
		{3 * time.Minute, 100, 100, progress.Part{Label: "class", K: 3, N: 3}, "3m0s elapsed"},
		{20 * time.Second, 50, 100, progress.Part{Label: "class", K: 3, N: 3}, "20s elapsed, about 20 s left"},
		{2 * time.Second, 50, 100, progress.Part{}, "2s elapsed, a few seconds left"},
		{10 * time.Minute, 10, 140, progress.Part{Label: "model", K: 1, N: 2}, "10m0s elapsed, about 2 h 10 min left; all 2 models: about 4 h 30 min left"},
		{5 * time.Second, 0, 100, progress.Part{}, "5s elapsed"},
	} {
		if got := timing(tc.el, tc.done, tc.total, tc.part); got != tc.want {
			t.Errorf("timing(%s, %d/%d, %+v) = %q, want %q", tc.el, tc.done, tc.total, tc.part, got, tc.want)
		}
	}
	if got := partName("gan effusion", progress.Part{Label: "class", K: 2, N: 3}); got != "gan effusion, class 2 of 3" {
		t.Errorf("partName = %q", got)
	}
}

// A task started through progress.InPart carries its place in its name and its whole-command
// estimate in the plain lines.
func TestLogReporterPartLines(t *testing.T) {
	var out bytes.Buffer
	quietLog := slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelWarn}))
	r := &logReporter{log: quietLog, every: time.Hour, out: &out, quiet: 0}
	task := progress.InPart(r, "class", 2, 3).Start("gan effusion", 344, "steps")
	task.Add(131)
	task.Done()
	if !regexp.MustCompile(`^raysynth: gan effusion, class 2 of 3: 131/344 steps \(38%\), \S+ elapsed, a few seconds left; all 3 classes: a few seconds left\n`).MatchString(out.String()) {
		t.Errorf("lines %q", out.String())
	}
}
