//go:build !unix

package ingest

import (
	"errors"
	"os"
)

// ErrBusy is returned when another ingest holds the workspace.
var ErrBusy = errors.New("another ingest is running in this workspace")

// lockWorkspace does nothing where advisory locks are not available.
func lockWorkspace(*os.File) error { return nil }
