package main

import (
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
	return &logReporter{log: g.log, every: 10 * time.Second}, func() {}
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0 && os.Getenv("TERM") != "dumb"
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

// logReporter writes one log line per task at most every `every`, plus one at the end.
type logReporter struct {
	log   *slog.Logger
	every time.Duration
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
}

func (t *logTask) Add(n int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.done += n
	if time.Since(t.last) >= t.r.every {
		t.last = time.Now()
		t.r.log.Info("progress", "task", t.name, "done", t.done, "total", t.total, "unit", t.unit, "status", t.status)
	}
}
func (t *logTask) Status(msg string) { t.mu.Lock(); t.status = msg; t.mu.Unlock() }
func (t *logTask) Done() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.r.log.Info("finished", "task", t.name, "done", t.done, "unit", t.unit, "seconds", time.Since(t.start).Seconds(), "status", t.status)
}
