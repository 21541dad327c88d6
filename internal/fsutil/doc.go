// Package fsutil holds the file-system plumbing every stage shares: atomic file and directory
// writes, so that a half-written output is never left where a finished one is expected.
//
// # Invariants
//
//   - A file written through [WriteFile] or [Create] appears under its final name only after it
//     was fully written and synced; a crash leaves at most a temporary file whose name starts
//     with ".tmp-", which [CleanTemp] removes.
//   - Imports nothing of this module.
package fsutil
