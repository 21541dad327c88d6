package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/raysynth/raysynth/internal/progress"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// newReporter returns progress bars when stderr is a terminal, and periodic log lines otherwise.
// Call the returned wait function before printing the command's final output.
func (g *globals) newReporter() (progress.Reporter, func()) {
	if f, ok := g.stderr.(*os.File); ok && isTerminal(f) {
		p := mpb.New(mpb.WithOutput(g.stderr), mpb.WithWidth(40), mpb.WithRefreshRate(150*time.Millisecond))
		return &barReporter{p: p}, p.Wait
	}
	return &logReporter{log: g.log, every: 10 * time.Second, out: g.stderr, quiet: 30 * time.Second}, func() {}
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0 && os.Getenv(envTerm) != "dumb"
}

type barReporter struct{ p *mpb.Progress }

func (r *barReporter) Start(name string, total int64, unit string) progress.Task {
	return r.StartPart(name, total, unit, progress.Part{})
}

// StartPart shows a bar labelled with its part ("gan effusion, class 2 of 3"), then the time
// spent and, in words, the time left for it and for the whole command.
func (r *barReporter) StartPart(name string, total int64, unit string, part progress.Part) progress.Task {
	t := &barTask{start: time.Now()}
	counter := decor.CountersNoUnit("%d/%d "+unit, decor.WCSyncWidth)
	if unit == "bytes" {
		counter = decor.Counters(decor.SizeB1024(0), "% .1f/% .1f", decor.WCSyncWidth)
	}
	t.bar = r.p.AddBar(total,
		mpb.PrependDecorators(decor.Name(partName(name, part), decor.WCSyncSpaceR), counter),
		mpb.AppendDecorators(
			decor.Any(func(st decor.Statistics) string {
				if st.Completed {
					return fmt.Sprintf(" done in %s", roundDur(time.Since(t.start)))
				}
				return " " + timing(time.Since(t.start), st.Current, st.Total, part)
			}),
			decor.Any(func(decor.Statistics) string { t.mu.Lock(); defer t.mu.Unlock(); return "; " + t.status })),
	)
	return t
}

type barTask struct {
	bar    *mpb.Bar
	mu     sync.Mutex
	status string
	start  time.Time
}

func (t *barTask) Add(n int64)       { t.bar.IncrInt64(n) }
func (t *barTask) Status(msg string) { t.mu.Lock(); t.status = msg; t.mu.Unlock() }
func (t *barTask) Done() {
	if t.bar.Current() < 1 || !t.bar.Completed() {
		t.bar.SetTotal(-1, true)
	}
}

// logReporter reports progress when stderr is not a terminal (a batch job, nohup, CI). With -v it
// writes a log line per task at most every `every`, plus one at the end. Without -v (logs at
// warnings only) it writes a plain line at most every `quiet` to out, and a closing line only for
// tasks that already printed one: short tasks stay silent, an hour of training does not.
type logReporter struct {
	log   *slog.Logger
	every time.Duration
	out   io.Writer
	quiet time.Duration
	mu    sync.Mutex // one line at a time on out
}

func (r *logReporter) Start(name string, total int64, unit string) progress.Task {
	return r.StartPart(name, total, unit, progress.Part{})
}

func (r *logReporter) StartPart(name string, total int64, unit string, part progress.Part) progress.Task {
	return &logTask{r: r, name: partName(name, part), part: part, total: total, unit: unit, start: time.Now(), last: time.Now()}
}

type logTask struct {
	r           *logReporter
	mu          sync.Mutex
	name, unit  string
	part        progress.Part
	total, done int64
	status      string
	start, last time.Time
	printed     bool
}

func (t *logTask) verbose() bool { return t.r.log.Enabled(context.Background(), slog.LevelInfo) }

func (t *logTask) Add(n int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.done += n
	if t.verbose() {
		if time.Since(t.last) >= t.r.every {
			t.last = time.Now()
			t.r.log.Info("progress", "task", t.name, "done", t.done, "total", t.total, "unit", t.unit, "status", t.status)
		}
		return
	}
	if t.r.out != nil && time.Since(t.last) >= t.r.quiet {
		t.last = time.Now()
		t.printed = true
		t.r.line(t.plain(false))
	}
}

// plain is the task's state as one line: done/total, share, elapsed and time left (for the task
// and, when it is one of several like parts, for all of them), status.
func (t *logTask) plain(finished bool) string {
	el := time.Since(t.start)
	s := fmt.Sprintf("raysynth: %s: %d", t.name, t.done)
	if t.total > 0 {
		s += fmt.Sprintf("/%d", t.total)
	}
	s += " " + t.unit
	if finished {
		s += fmt.Sprintf(", finished in %s", roundDur(el))
	} else {
		if t.total > 0 {
			s += fmt.Sprintf(" (%.0f%%)", 100*float64(t.done)/float64(t.total))
		}
		s += ", " + timing(el, t.done, t.total, t.part)
	}
	if t.status != "" {
		s += "; " + t.status
	}
	return s
}

// partName is a task's name with its place among like parts: "gan effusion, class 2 of 3".
func partName(name string, p progress.Part) string {
	if p.N <= 1 {
		return name
	}
	return fmt.Sprintf("%s, %s %d of %d", name, p.Label, p.K, p.N)
}

// timing says how long a task has run and, in words, about how long is left: for the task, and
// when it is part K of N, for all N parts (assuming the parts still to come take as long as this
// one): "3m8s elapsed, about 5 min left; all 3 classes: about 14 min left".
func timing(el time.Duration, done, total int64, p progress.Part) string {
	s := fmt.Sprintf("%s elapsed", roundDur(el))
	if total <= 0 || done <= 0 || done >= total {
		return s
	}
	left := time.Duration(float64(el) * float64(total-done) / float64(done))
	s += ", " + aboutLeft(left)
	if p.N > 1 && p.K < p.N {
		whole := time.Duration(float64(el) * float64(total) / float64(done))
		s += fmt.Sprintf("; all %d %s: %s", p.N, plural(p.Label), aboutLeft(left+time.Duration(p.N-p.K)*whole))
	}
	return s
}

func plural(s string) string {
	if strings.HasSuffix(s, "s") {
		return s + "es"
	}
	return s + "s"
}

// aboutLeft puts a time left in the words a person reads at a glance: "about 40 s left", "about
// 14 min left", "about 2 h 5 min left".
func aboutLeft(d time.Duration) string {
	switch {
	case d < 10*time.Second:
		return "a few seconds left"
	case d < time.Minute:
		return fmt.Sprintf("about %d s left", int(d.Round(5*time.Second)/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("about %d min left", max(1, int(d.Round(time.Minute)/time.Minute)))
	}
	d = d.Round(5 * time.Minute)
	return fmt.Sprintf("about %d h %d min left", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

func roundDur(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Second)
}

func (r *logReporter) line(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintln(r.out, s)
}

func (t *logTask) Status(msg string) { t.mu.Lock(); t.status = msg; t.mu.Unlock() }
func (t *logTask) Done() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.verbose() {
		t.r.log.Info("finished", "task", t.name, "done", t.done, "unit", t.unit, "seconds", time.Since(t.start).Seconds(), "status", t.status)
		return
	}
	if t.printed && t.r.out != nil {
		t.r.line(t.plain(true))
	}
}
