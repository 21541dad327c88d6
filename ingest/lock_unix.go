//go:build unix

package ingest

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// ErrBusy is returned when another ingest holds the workspace.
var ErrBusy = errors.New("another ingest is running in this workspace")

// lockWorkspace takes an exclusive advisory lock on f (the journal), released when f is closed
// or the process dies, so two ingests never interleave in one workspace.
func lockWorkspace(f *os.File) error {
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return ErrBusy
		}
		return fmt.Errorf("lock workspace: %w", err)
	}
	return nil
}
