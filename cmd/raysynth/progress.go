package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
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
	t := &barTask{}
	counter := decor.CountersNoUnit("%d/%d "+unit, decor.WCSyncWidth)
	if unit == "bytes" {
		counter = decor.Counters(decor.SizeB1024(0), "% .1f/% .1f", decor.WCSyncWidth)
	}
	t.bar = r.p.AddBar(total,
		mpb.PrependDecorators(decor.Name(name, decor.WCSyncSpaceR), counter),
		mpb.AppendDecorators(decor.OnComplete(decor.EwmaETA(decor.ET_STYLE_GO, 30), "done"),
			decor.Any(func(decor.Statistics) string { t.mu.Lock(); defer t.mu.Unlock(); return " " + t.status })),
	)
	t.last = time.Now()
	return t
}

type barTask struct {
	bar    *mpb.Bar
	mu     sync.Mutex
	status string
	last   time.Time
}

func (t *barTask) Add(n int64) {
	now := time.Now()
	t.mu.Lock()
	d := now.Sub(t.last)
	t.last = now
	t.mu.Unlock()
	t.bar.EwmaIncrInt64(n, d)
}
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
	return &logTask{r: r, name: name, total: total, unit: unit, start: time.Now(), last: time.Now()}
}

type logTask struct {
	r           *logReporter
	mu          sync.Mutex
	name, unit  string
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

// plain is the task's state as one line: done/total, share, elapsed and time left, status.
func (t *logTask) plain(finished bool) string {
	el := time.Since(t.start)
	s := fmt.Sprintf("raysynth: %s: %d", t.name, t.done)
	if t.total > 0 {
		s += fmt.Sprintf("/%d", t.total)
	}
	s += " " + t.unit
	if finished {
		s += fmt.Sprintf(", finished in %s", el.Round(time.Second))
	} else {
		if t.total > 0 {
			s += fmt.Sprintf(" (%.0f%%)", 100*float64(t.done)/float64(t.total))
		}
		s += fmt.Sprintf(", %s elapsed", el.Round(time.Second))
		if t.total > 0 && t.done > 0 && t.done < t.total {
			left := time.Duration(float64(el) * float64(t.total-t.done) / float64(t.done))
			s += fmt.Sprintf(", about %s left", left.Round(time.Second))
		}
	}
	if t.status != "" {
		s += "; " + t.status
	}
	return s
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
