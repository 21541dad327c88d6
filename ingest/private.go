package ingest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/raysynth/raysynth/internal/workspace"
)

// MinPrivateString is the shortest string [PrivateStrings] returns: shorter ones (a two-letter
// class, a short file name) would match by chance in any file.
const MinPrivateString = 6

// PrivateStrings lists what a release must never contain, from the files ingest writes: the
// workspace secret, every real image's pseudonym and patient pseudonym, every source path and its
// base name and every source patient id (from private/source-map.csv), and the sha256 of every
// real image (hashes). A workspace without a source map (nothing ingested yet) gives what the
// other files hold; a damaged one is an error.
func PrivateStrings(ws *workspace.Workspace) (strs, hashes []string, err error) {
	add := func(s string) {
		if s = strings.TrimSpace(s); len(s) >= MinPrivateString {
			strs = append(strs, s)
		}
	}
	if b, err := os.ReadFile(ws.SecretPath()); err == nil {
		add(string(b))
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, nil, fmt.Errorf("read workspace secret: %w", err)
	}
	if real, err := ws.ReadRealIndex(); err == nil {
		for _, r := range real {
			add(r.ID)
			add(r.Patient)
			hashes = append(hashes, r.SHA256)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, nil, err
	}
	recs, err := readSourceMap(ws.SourceMapPath())
	if err != nil {
		return nil, nil, err
	}
	for _, r := range recs {
		add(r.ID)
		add(r.Patient)
		add(r.SourcePatient)
		add(r.SourcePath)
		add(filepath.Base(r.SourcePath))
		hashes = append(hashes, r.SHA256)
	}
	return strs, hashes, nil
}
