package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/raysynth/raysynth/evaluate"
	"github.com/raysynth/raysynth/privacy"
	"github.com/raysynth/raysynth/train"
)

// Step is what one stage reads, does and writes. Inputs and Outputs return fingerprints (see
// [Fingerprint]); Run does the work, with restart set when the inputs changed since the stage
// last ran, and may record facts for later stages in rec.
type Step struct {
	Stage   Stage
	Always  bool // run even when done with the same inputs ([Verify]: the storage may have changed)
	Inputs  func() (string, error)
	Run     func(ctx context.Context, rec *Record, restart bool) error
	Outputs func(rec *Record) (string, error)
}

// StepsConfig is one run of the engine over steps.
type StepsConfig struct {
	StatePath string // WORKSPACE/run/state.json
	State     *State // loaded from StatePath (LoadState) by the caller, who reads it for its summary
	Name      string // release name and version: the key of the per-release stages
	Version   string
	Steps     []Step // in the order of [Stages]
	Until     Stage  // "" or the stage to stop after
	Notify    func(Event)
}

// Validate checks that the steps are the stages in order, and Until.
func (c *StepsConfig) Validate() error {
	if c.StatePath == "" || c.State == nil {
		return errors.New("pipeline: no state")
	}
	for i, s := range c.Steps {
		if i >= len(Stages) || s.Stage != Stages[i] {
			return fmt.Errorf("pipeline: step %d is %q, want the stages in order", i, s.Stage)
		}
		if s.Inputs == nil || s.Run == nil || s.Outputs == nil {
			return fmt.Errorf("pipeline: step %s is incomplete", s.Stage)
		}
	}
	if c.Until != "" {
		if _, err := ParseUntil(string(c.Until)); err != nil {
			return err
		}
	}
	return nil
}

// EventKind says what happened to a stage.
type EventKind int

const (
	Starting       EventKind = iota // the stage is about to be looked at
	SkippedDone                     // done before with the same inputs and outputs
	OutputsChanged                  // done before, but its outputs changed since: running again
	InputsChanged                   // its inputs changed since it last ran: running again
	Finished                        // done now
	Reported                        // the stage's package returned Result (also when the stage then fails)
)

// Event is reported through [Config.Notify].
type Event struct {
	Kind    EventKind
	Stage   Stage
	Index   int // 1-based
	Total   int
	Seconds float64 // for Finished
	Result  any     // for Reported: *ingest.Report, …
}

// Status words of a [StageResult].
const (
	ResultDone        = "done"
	ResultSkipped     = "skipped (done)"
	ResultFailed      = "failed"
	ResultInterrupted = "interrupted"
	ResultNotRun      = "not run"
)

// StageResult is how one stage went in this run.
type StageResult struct {
	Stage   string  `json:"stage"`
	Status  string  `json:"status"` // done, skipped (done), failed, interrupted, not run
	Seconds float64 `json:"seconds,omitempty"`
}

// Summary is what [Run] and [RunSteps] return, whatever happened.
type Summary struct {
	Stages  []StageResult
	Seconds float64
	State   *State // after the run ([Run] only)
	// From the state, when the stages are done ([Run] only).
	Bundle      string
	Location    string
	LinksFile   string // presigned download links: file, url, expires per line
	LinksExpire string
	// The stages' public outputs, when they ran ([Run] only).
	Privacy    *privacy.Summary
	DP         map[string]*train.DPSummary // per class, when the GANs were trained with DP
	Evaluation *evaluate.Report
}

// RunSteps runs the steps in order: a stage done before with the same inputs and outputs is skipped,
// the state is saved before and after each stage, and the run stops after cfg.Until, at the first
// error, or when ctx is cancelled. The summary lists every stage, those not run included.
func RunSteps(ctx context.Context, cfg StepsConfig) (*Summary, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	start := time.Now()
	sum := &Summary{}
	err := run(ctx, &cfg, sum)
	sum.Seconds = time.Since(start).Seconds()
	return sum, err
}

func run(ctx context.Context, cfg *StepsConfig, sum *Summary) error {
	notify := func(e Event) {
		if cfg.Notify != nil {
			cfg.Notify(e)
		}
	}
	st, steps := cfg.State, cfg.Steps
	notRun := func(rest []Step, status string) {
		for _, s := range rest {
			sum.Stages = append(sum.Stages, StageResult{Stage: s.Stage.Name(), Status: status})
		}
	}
	for i, s := range steps {
		if i > 0 && steps[i-1].Stage == cfg.Until {
			notRun(steps[i:], ResultNotRun+" (--until "+string(cfg.Until)+")")
			return nil
		}
		if err := ctx.Err(); err != nil {
			notRun(steps[i:], ResultNotRun)
			return err
		}
		ev := Event{Stage: s.Stage, Index: i + 1, Total: len(steps)}
		notify(withKind(ev, Starting))
		res := StageResult{Stage: s.Stage.Name(), Status: ResultNotRun}
		in, err := s.Inputs()
		if err != nil {
			notRun(steps[i:], ResultNotRun)
			return fmt.Errorf("%s: %w", s.Stage.Name(), err)
		}
		key := Key(s.Stage, cfg.Name, cfg.Version)
		rec := st.Stages[key]
		if rec != nil && rec.Status == Done && rec.Inputs == in && !s.Always {
			if out, err := s.Outputs(rec); err == nil && out == rec.Outputs {
				res.Status = ResultSkipped
				sum.Stages = append(sum.Stages, res)
				notify(withKind(ev, SkippedDone))
				continue
			}
			notify(withKind(ev, OutputsChanged))
		}
		restart := rec != nil && rec.Inputs != in
		if restart {
			notify(withKind(ev, InputsChanged))
		}
		nrec := &Record{Status: Running, Inputs: in, Started: time.Now().UTC()}
		if rec != nil {
			nrec.Facts = rec.Facts
		}
		st.Stages[key] = nrec
		if err := st.Save(cfg.StatePath); err != nil {
			notRun(steps[i:], ResultNotRun)
			return err
		}
		t0 := time.Now()
		if err = s.Run(ctx, nrec, restart); err != nil {
			err = &StageError{Stage: s.Stage, Err: err}
		}
		nrec.Seconds = time.Since(t0).Seconds()
		res.Seconds = nrec.Seconds
		nrec.Finished = time.Now().UTC()
		switch {
		case err == nil:
			nrec.Status = Done
			if nrec.Outputs, err = s.Outputs(nrec); err != nil {
				err = fmt.Errorf("%s: %w", s.Stage.Name(), err)
				nrec.Status, res.Status = Failed, ResultFailed
			} else {
				res.Status = ResultDone
			}
		case errors.Is(err, context.Canceled) || ctx.Err() != nil:
			nrec.Status, res.Status = Running, ResultInterrupted
		default:
			nrec.Status, res.Status = Failed, ResultFailed
		}
		sum.Stages = append(sum.Stages, res)
		if serr := st.Save(cfg.StatePath); serr != nil && err == nil {
			err = serr
		}
		if err != nil {
			notRun(steps[i+1:], ResultNotRun)
			return err
		}
		ev.Seconds = nrec.Seconds
		notify(withKind(ev, Finished))
	}
	return nil
}

// StageError is the error a stage's work failed with; the message is the stage's own.
type StageError struct {
	Stage Stage
	Err   error
}

func (e *StageError) Error() string { return e.Err.Error() }
func (e *StageError) Unwrap() error { return e.Err }

func withKind(e Event, k EventKind) Event { e.Kind = k; return e }
