package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestStateRoundTripAndDamage(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "run", "state.json")
	st, err := LoadState(p)
	if err != nil || len(st.Stages) != 0 {
		t.Fatalf("missing state: %v %v", st, err)
	}
	st.Stages[Key(Publish, "chest", "1.0.0")] = &Record{Status: Done, Inputs: "a", Outputs: "b", Facts: map[string]string{"location": "s3://b/chest/1.0.0"}, Started: time.Unix(1, 0).UTC()}
	if err := st.Save(p); err != nil {
		t.Fatal(err)
	}
	back, err := LoadState(p)
	if err != nil || back.Location("chest", "1.0.0") != "s3://b/chest/1.0.0" || back.Location("chest", "1.0.1") != "" {
		t.Fatalf("round trip: %+v %v", back, err)
	}
	for _, tc := range []struct{ name, content, want string }{
		{"damaged", "{not json", "damaged"},
		{"future", `{"version": 99, "stages": {}}`, "format 99"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(p, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := LoadState(p)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), p) {
				t.Fatalf("got %v, want an error naming %s and %q", err, p, tc.want)
			}
		})
	}
}

func TestStagesAndUntil(t *testing.T) {
	if Key(GAN, "n", "v") != "train gan" || Key(Bundle, "n", "v") != "bundle n v" {
		t.Errorf("keys: %q %q", Key(GAN, "n", "v"), Key(Bundle, "n", "v"))
	}
	if slices.Contains(UntilStages(), Verify) || len(UntilStages()) != len(Stages)-1 {
		t.Errorf("until stages %v", UntilStages())
	}
	if s, err := ParseUntil("privacy"); err != nil || s != Privacy {
		t.Errorf("ParseUntil(privacy) = %v, %v", s, err)
	}
	if _, err := ParseUntil("train"); err == nil || !strings.Contains(err.Error(), UntilList(", ")) {
		t.Errorf("ParseUntil(train): %v", err)
	}
}

func TestFingerprintSeesEveryInput(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "index.csv")
	os.WriteFile(f, []byte("id,class\n1,normal\n"), 0o644)
	type opts struct{ epochs int }
	sum := func(o opts) string {
		h := &Fingerprint{}
		h.Add("options", o)
		h.File("index", f)
		h.Tree("from", dir)
		s, err := h.Sum()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	base := sum(opts{3})
	if sum(opts{3}) != base {
		t.Fatal("same inputs, different fingerprint")
	}
	if sum(opts{4}) == base {
		t.Error("changed option, same fingerprint")
	}
	os.WriteFile(f, []byte("id,class\n1,effusion\n"), 0o644)
	if sum(opts{3}) == base {
		t.Error("changed file, same fingerprint")
	}
	h := &Fingerprint{}
	h.File("absent", filepath.Join(dir, "nothere"))
	if _, err := h.Sum(); err != nil {
		t.Errorf("a missing file is an input state, not an error: %v", err)
	}
	h.Tree("missing", filepath.Join(dir, "nothere"))
	if _, err := h.Sum(); err == nil {
		t.Error("a missing --from folder must be an error")
	}
}

// fakeStages are steps over real files: each stage reads the previous stage's file and writes
// its own from it; option[stage] is part of its inputs.
type fakeStages struct {
	dir       string
	option    map[Stage]string
	ran       []Stage
	restarted []Stage
	fail      Stage
	cancel    Stage
	cancelFn  context.CancelFunc
}

func (f *fakeStages) file(s Stage) string { return filepath.Join(f.dir, string(s)+".txt") }

func (f *fakeStages) steps() []Step {
	var steps []Step
	for i, s := range Stages {
		prev := ""
		if i > 0 {
			prev = f.file(Stages[i-1])
		}
		steps = append(steps, Step{Stage: s, Always: s == Verify,
			Inputs: func() (string, error) {
				h := &Fingerprint{}
				h.Add("option", f.option[s])
				if prev != "" {
					h.File("prev", prev)
				}
				return h.Sum()
			},
			Run: func(ctx context.Context, rec *Record, restart bool) error {
				f.ran = append(f.ran, s)
				if restart {
					f.restarted = append(f.restarted, s)
				}
				if s == f.fail {
					return errors.New("stage failed")
				}
				if s == f.cancel {
					f.cancelFn()
					return ctx.Err()
				}
				rec.Facts = map[string]string{"n": f.option[s]}
				var in []byte
				if prev != "" {
					var err error
					if in, err = os.ReadFile(prev); err != nil {
						return err
					}
				}
				return os.WriteFile(f.file(s), append(in, string(s)+f.option[s]+"\n"...), 0o644)
			},
			Outputs: func(*Record) (string, error) {
				h := &Fingerprint{}
				h.File("out", f.file(s))
				return h.Sum()
			}})
	}
	return steps
}

func TestRunResumesAndSkips(t *testing.T) {
	dir := t.TempDir()
	statePath := filepath.Join(dir, "run", "state.json")
	f := &fakeStages{dir: dir, option: map[Stage]string{}}
	run := func(until Stage) (*Summary, error) {
		t.Helper()
		f.ran, f.restarted = nil, nil
		st, err := LoadState(statePath)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		f.cancelFn = cancel
		var events []Event
		sum, err := RunSteps(ctx, StepsConfig{StatePath: statePath, State: st, Name: "chest", Version: "1.0.0", Steps: f.steps(), Until: until,
			Notify: func(e Event) { events = append(events, e) }})
		if sum != nil && len(sum.Stages) != len(Stages) {
			t.Fatalf("summary lists %d stages, want %d: %+v", len(sum.Stages), len(Stages), sum.Stages)
		}
		return sum, err
	}
	statuses := func(s *Summary) string {
		var out []string
		for _, r := range s.Stages {
			out = append(out, r.Status)
		}
		return strings.Join(out, ",")
	}

	sum, err := run(Privacy)
	if err != nil || !slices.Equal(f.ran, Stages[:5]) || !strings.HasSuffix(statuses(sum), "done,not run (--until privacy),not run (--until privacy),not run (--until privacy),not run (--until privacy)") {
		t.Fatalf("--until privacy: ran %v, %s, %v", f.ran, statuses(sum), err)
	}
	sum, err = run("")
	if err != nil || !slices.Equal(f.ran, Stages[5:]) || !strings.HasPrefix(statuses(sum), "skipped (done),skipped (done)") {
		t.Fatalf("second run: ran %v, %s, %v", f.ran, statuses(sum), err)
	}
	if _, err := run(""); err != nil || !slices.Equal(f.ran, []Stage{Verify}) {
		t.Fatalf("third run: verify always runs, nothing else: %v %v", f.ran, err)
	}

	// a changed option reruns that stage (restart) and every stage whose input it changes
	f.option[Synth] = "more"
	if _, err := run(""); err != nil || !slices.Equal(f.ran, Stages[2:]) || !slices.Equal(f.restarted, Stages[2:]) {
		t.Fatalf("changed synth option: ran %v restarted %v, %v", f.ran, f.restarted, err)
	}
	// an output changed under a finished stage reruns it without restart
	os.WriteFile(f.file(Evaluate), []byte("edited"), 0o644)
	if _, err := run(""); err != nil || !slices.Equal(f.ran, []Stage{Evaluate, Verify}) || len(f.restarted) != 0 {
		t.Fatalf("edited evaluate output: ran %v restarted %v, %v", f.ran, f.restarted, err)
	}

	// a failure is recorded and stops the run; the next run retries it
	f.option[Bundle], f.fail = "v2", Bundle
	sum, err = run("")
	st, _ := LoadState(statePath)
	if err == nil || st.Record(Bundle, "chest", "1.0.0").Status != Failed || !strings.HasSuffix(statuses(sum), "failed,not run,not run") {
		t.Fatalf("failed bundle: %s, %v", statuses(sum), err)
	}
	// an interruption leaves the stage running, to be started again
	f.fail, f.cancel = "", Bundle
	sum, err = run("")
	st, _ = LoadState(statePath)
	if !errors.Is(err, context.Canceled) || st.Record(Bundle, "chest", "1.0.0").Status != Running || !strings.Contains(statuses(sum), "interrupted,not run") {
		t.Fatalf("interrupted bundle: %s, %v", statuses(sum), err)
	}
	f.cancel = ""
	if _, err := run(""); err != nil || !slices.Equal(f.ran, []Stage{Bundle, Publish, Verify}) {
		t.Fatalf("after the interruption: ran %v, %v", f.ran, err)
	}
	if r := st.Record(Publish, "chest", "1.0.1"); r != nil {
		t.Errorf("another version has its own release records: %+v", r)
	}
}

func TestConfigValidate(t *testing.T) {
	f := &fakeStages{dir: t.TempDir(), option: map[Stage]string{}}
	steps := f.steps()
	steps[1], steps[2] = steps[2], steps[1]
	_, err := RunSteps(context.Background(), StepsConfig{StatePath: "s", State: &State{Stages: map[string]*Record{}}, Steps: steps})
	if err == nil || !strings.Contains(err.Error(), "in order") {
		t.Fatalf("stages out of order: %v", err)
	}
}
