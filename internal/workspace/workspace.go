package workspace

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/raysynth/raysynth/internal/fsutil"
)

// FormatVersion is the workspace layout version written to workspace.json.
const FormatVersion = 1

// Splits of the real images.
const (
	SplitTrain   = "train"
	SplitHoldout = "holdout"
)

// ErrNotWorkspace is returned by [Open] for a folder without workspace.json.
var ErrNotWorkspace = errors.New("not a raysynth workspace")

// Meta is the content of workspace.json.
type Meta struct {
	Format    int      `json:"format"`
	ImageSize int      `json:"image_size"`
	Classes   []string `json:"classes"`
	Seed      uint64   `json:"seed"`
	// Phantom is true when images were ingested from a `raysynth phantom` folder: the workspace
	// (and every release made from it) holds no patient data, and must never be described as such.
	Phantom bool `json:"phantom,omitempty"`
}

// Workspace is an opened workspace folder.
type Workspace struct {
	Dir string
}

// Open opens an existing workspace.
func Open(dir string) (*Workspace, error) {
	if _, err := os.Stat(filepath.Join(dir, "workspace.json")); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("open workspace %s: %w (run raysynth ingest first)", dir, ErrNotWorkspace)
		}
		return nil, fmt.Errorf("open workspace %s: %w", dir, err)
	}
	return &Workspace{Dir: dir}, nil
}

// Init creates the workspace folder and its private folder if missing and returns it. It does not
// write workspace.json; [Workspace.SaveMeta] does.
func Init(dir string) (*Workspace, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create workspace %s: %w", dir, err)
	}
	w := &Workspace{Dir: dir}
	if err := os.MkdirAll(w.PrivateDir(), 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", w.PrivateDir(), err)
	}
	if err := os.Chmod(w.PrivateDir(), 0o700); err != nil {
		return nil, err
	}
	return w, nil
}

// LoadMeta reads workspace.json.
func (w *Workspace) LoadMeta() (Meta, error) {
	var m Meta
	p := filepath.Join(w.Dir, "workspace.json")
	b, err := os.ReadFile(p)
	if err != nil {
		return m, fmt.Errorf("read %s: %w", p, err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("parse %s: %w", p, err)
	}
	if m.Format != FormatVersion {
		return m, fmt.Errorf("%s: workspace format %d, this raysynth reads %d", p, m.Format, FormatVersion)
	}
	return m, nil
}

// SaveMeta writes workspace.json atomically.
func (w *Workspace) SaveMeta(m Meta) error {
	m.Format = FormatVersion
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return fsutil.WriteFile(filepath.Join(w.Dir, "workspace.json"), append(b, '\n'), 0o644)
}

// Path joins slash-separated elements onto the workspace folder.
func (w *Workspace) Path(elem ...string) string {
	return filepath.Join(append([]string{w.Dir}, elem...)...)
}

// Paths of the layout (see the package documentation).
func (w *Workspace) PrivateDir() string             { return w.Path("private") }
func (w *Workspace) SecretPath() string             { return w.Path("private", "secret.key") }
func (w *Workspace) SourceMapPath() string          { return w.Path("private", "source-map.csv") }
func (w *Workspace) RealIndexPath() string          { return w.Path("real", "index.csv") }
func (w *Workspace) RealImagePath(id string) string { return w.Path("real", "images", id+".png") }
func (w *Workspace) IngestReportPath() string       { return w.Path("ingest", "report.json") }
func (w *Workspace) GANDir(class string) string     { return w.Path("gan", class) }
func (w *Workspace) ClassifierDir() string          { return w.Path("classifier") }
func (w *Workspace) CandidatesIndexPath() string    { return w.Path("synth", "index.csv") }
func (w *Workspace) CandidatesDir() string          { return w.Path("synth", "candidates") }
func (w *Workspace) ApprovedIndexPath() string      { return w.Path("approved", "index.csv") }
func (w *Workspace) ApprovedDir() string            { return w.Path("approved", "images") }
func (w *Workspace) PrivacyDir() string             { return w.Path("privacy") }

// CheckedIndexPath and CheckedDir hold the candidates a failed privacy gate checked, minus every
// image it flagged: what `bundle --override-privacy-gate` may release (never approved/).
func (w *Workspace) CheckedIndexPath() string   { return w.Path("privacy", "checked", "index.csv") }
func (w *Workspace) CheckedDir() string         { return w.Path("privacy", "checked", "images") }
func (w *Workspace) PrivacyReportPath() string  { return w.Path("privacy", "report.json") }
func (w *Workspace) PrivacyHTMLPath() string    { return w.Path("privacy", "report.html") }
func (w *Workspace) PrivacySummaryPath() string { return w.Path("privacy", "summary.json") }
func (w *Workspace) EvalDir() string            { return w.Path("eval") }

// IsPrivate reports whether a path inside the workspace (relative, slash-separated) must never be
// published: the private folder and the full privacy reports, which show real images.
func IsPrivate(rel string) bool {
	rel = filepath.ToSlash(filepath.Clean(rel))
	switch {
	case rel == "private" || strings.HasPrefix(rel, "private/"):
		return true
	case rel == "privacy/report.json" || rel == "privacy/report.html":
		return true
	case strings.HasPrefix(rel, "privacy/pairs/"):
		return true
	}
	return false
}
