package pipeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/raysynth/raysynth/internal/fsutil"
)

// StateVersion is the format of WORKSPACE/run/state.json.
const StateVersion = 1

// Status of a stage in state.json.
type Status string

const (
	Running Status = "running" // started; not finished (interrupted, or failed without a verdict)
	Done    Status = "done"
	Failed  Status = "failed" // finished with an error (e.g. the privacy gate failed)
)

// State is what `raysynth run` remembers between runs: for every stage, whether it finished and
// the fingerprint of the inputs it finished with. It holds no secret, pixel or patient identifier.
type State struct {
	Version int                `json:"version"`
	Stages  map[string]*Record `json:"stages"`
}

// Record is one stage's entry in the state.
type Record struct {
	Status   Status            `json:"status"`
	Inputs   string            `json:"inputs"`            // fingerprint of the stage's options and input files
	Outputs  string            `json:"outputs,omitempty"` // fingerprint of its outputs when done
	Facts    map[string]string `json:"facts,omitempty"`   // e.g. the published location
	Started  time.Time         `json:"started"`
	Finished time.Time         `json:"finished,omitzero"`
	Seconds  float64           `json:"seconds,omitempty"`
}

// LoadState reads the state at path; a missing file is an empty state.
func LoadState(path string) (*State, error) {
	st := &State{Version: StateVersion, Stages: map[string]*Record{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read run state: %w", err)
	}
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("run state %s is damaged (%v): delete it to run every stage again", path, err)
	}
	if st.Version != StateVersion {
		return nil, fmt.Errorf("run state %s has format %d, this raysynth reads %d: delete it to run every stage again", path, st.Version, StateVersion)
	}
	if st.Stages == nil {
		st.Stages = map[string]*Record{}
	}
	return st, nil
}

// Save writes the state atomically (temporary file, then rename).
func (st *State) Save(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return fsutil.WriteFile(path, append(b, '\n'), 0o644)
}

// Key is the name of a stage's record: the stage's name, and for the stages that make a release
// its name and version too.
func Key(s Stage, name, version string) string {
	if s.PerRelease() {
		return s.Name() + " " + name + " " + version
	}
	return s.Name()
}

// Record returns the stage's record for release name and version, or nil.
func (st *State) Record(s Stage, name, version string) *Record {
	return st.Stages[Key(s, name, version)]
}

// DoneRecord returns the record when the stage is done, else nil.
func (st *State) DoneRecord(s Stage, name, version string) *Record {
	if r := st.Record(s, name, version); r != nil && r.Status == Done {
		return r
	}
	return nil
}

// Location is where the publish stage put the release ("" before it ran).
func (st *State) Location(name, version string) string {
	if r := st.DoneRecord(Publish, name, version); r != nil {
		return r.Facts["location"]
	}
	return ""
}
