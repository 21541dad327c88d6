// Package progress is the tiny interface through which long work reports how far it got. Libraries
// take a [Reporter]; cmd backs it with progress bars on a terminal and periodic log lines
// otherwise. Imports nothing of this module.
package progress

import "fmt"

// Reporter starts tasks. Implementations must be safe for concurrent use.
type Reporter interface {
	// Start begins a task called name with total units of work (0 when unknown) and a unit name
	// such as "images", "epochs" or "bytes".
	Start(name string, total int64, unit string) Task
}

// Task is one running piece of work.
type Task interface {
	// Add records n more finished units.
	Add(n int64)
	// Status sets a short line shown beside the bar, such as "d_loss 0.61 g_loss 1.2". It must not
	// contain pixels, patient tags or secrets.
	Status(msg string)
	// Done ends the task.
	Done()
}

// Nop returns a Reporter that reports nothing.
func Nop() Reporter { return nop{} }

type nop struct{}

func (nop) Start(string, int64, string) Task { return nop{} }
func (nop) Add(int64)                        {}
func (nop) Status(string)                    {}
func (nop) Done()                            {}

// OrNop returns r, or a Nop reporter when r is nil, so a Config may leave it unset.
func OrNop(r Reporter) Reporter {
	if r == nil {
		return nop{}
	}
	return r
}

// PartReporter is implemented by reporters that can show a task as part k of n like parts of
// one command (class 2 of 3 in train gan), with the time left for all n parts.
type PartReporter interface {
	Reporter
	StartPart(name string, total int64, unit string, part Part) Task
}

// Part places a task among the like parts of a command: "class" 2 of 3.
type Part struct {
	Label string // what a part is: "class", "model"
	K, N  int    // this part is K of N, counting from 1
}

// InPart returns a Reporter whose tasks are part k of n (a label such as "class"): r's StartPart
// when r implements [PartReporter], else Start with "(class 2 of 3)" added to the name.
func InPart(r Reporter, label string, k, n int) Reporter {
	return inPart{OrNop(r), Part{label, k, n}}
}

type inPart struct {
	r Reporter
	p Part
}

func (p inPart) Start(name string, total int64, unit string) Task {
	if pr, ok := p.r.(PartReporter); ok {
		return pr.StartPart(name, total, unit, p.p)
	}
	return p.r.Start(fmt.Sprintf("%s (%s %d of %d)", name, p.p.Label, p.p.K, p.p.N), total, unit)
}
