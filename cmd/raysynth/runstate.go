package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/raysynth/raysynth/internal/fsutil"
)

// runStateVersion is the format of WORKSPACE/run/state.json.
const runStateVersion = 1

// Stage statuses recorded in run/state.json.
const (
	stageRunning = "running" // started; not finished (interrupted, or failed without a verdict)
	stageDone    = "done"
	stageFailed  = "failed" // finished with an error (e.g. the privacy gate failed)
)

// runState is what `raysynth run` remembers between runs: for every stage, whether it finished
// and the hash of the inputs it finished with. It holds no secret, pixel or patient identifier.
type runState struct {
	Version int                     `json:"version"`
	Stages  map[string]*stageRecord `json:"stages"`
}

type stageRecord struct {
	Status   string            `json:"status"`
	Inputs   string            `json:"inputs"`            // sha256 of the stage's options and input files
	Outputs  string            `json:"outputs,omitempty"` // sha256 of its outputs when done
	Facts    map[string]string `json:"facts,omitempty"`   // e.g. the published location
	Started  time.Time         `json:"started"`
	Finished time.Time         `json:"finished,omitzero"`
	Seconds  float64           `json:"seconds,omitempty"`
}

func loadRunState(path string) (*runState, error) {
	st := &runState{Version: runStateVersion, Stages: map[string]*stageRecord{}}
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
	if st.Version != runStateVersion {
		return nil, fmt.Errorf("run state %s has format %d, this raysynth reads %d: delete it to run every stage again", path, st.Version, runStateVersion)
	}
	if st.Stages == nil {
		st.Stages = map[string]*stageRecord{}
	}
	return st, nil
}

// save writes the state atomically (temporary file, then rename).
func (st *runState) save(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return fsutil.WriteFile(path, append(b, '\n'), 0o644)
}

// hasher builds a stage's input or output fingerprint from named parts.
type hasher struct {
	parts []string
	err   error
}

func (h *hasher) add(name string, v any) {
	h.parts = append(h.parts, fmt.Sprintf("%s=%#v", name, v))
}

// file adds a file's sha256 ("absent" when it does not exist).
func (h *hasher) file(name, path string) {
	sum, err := fileSHA256(path)
	if errors.Is(err, os.ErrNotExist) {
		sum = "absent"
	} else if err != nil && h.err == nil {
		h.err = err
	}
	h.parts = append(h.parts, name+"="+sum)
}

// glob adds every file matching pattern, sorted, by name and content hash.
func (h *hasher) glob(name, pattern string) {
	ms, _ := filepath.Glob(pattern)
	slices.Sort(ms)
	for _, m := range ms {
		h.file(name+":"+filepath.Base(filepath.Dir(m))+"/"+filepath.Base(m), m)
	}
}

// tree adds the listing of a folder or file: relative names, sizes and modification times
// (contents are not read: an export folder may hold many gigabytes).
func (h *hasher) tree(name, root string) {
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		h.parts = append(h.parts, fmt.Sprintf("%s:%s=%d@%d", name, filepath.ToSlash(rel), info.Size(), info.ModTime().UnixNano()))
		return nil
	})
	if err != nil && h.err == nil {
		h.err = fmt.Errorf("list %s: %w", root, err)
	}
}

func (h *hasher) sum() (string, error) {
	if h.err != nil {
		return "", h.err
	}
	s := sha256.Sum256([]byte(strings.Join(h.parts, "\n")))
	return hex.EncodeToString(s[:]), nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	s := sha256.New()
	if _, err := io.Copy(s, f); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return hex.EncodeToString(s.Sum(nil)), nil
}
