// Package ingest fills a workspace with de-identified, normalised real chest X-rays, split by
// patient into train and holdout ([Run]).
//
// # What it does
//
// It walks the input folder (sorted, hidden files and the workspace itself skipped), recognises
// PNG, JPEG and DICOM by content, decides each file's class from the labels file before decoding
// it (formats: NIH Data_Entry_2017, the nih1000_64 and kermany_128 layouts, and plain
// `file,label,patient`; see [ReadLabels]), decodes and normalises accepted files with a pool of
// workers (default 2, one image in memory each), and writes real/images/<id>.png. At the end it
// detects duplicates, splits patients (rarest class first, in a seeded order, each to the side
// that keeps every class it has closest to the holdout fraction; patients already in the
// workspace keep their side), applies --keep, and writes private/source-map.csv,
// real/index.csv, ingest/report.json ([Report]) and workspace.json. DICOM objects without an
// image (DICOMDIR, reports) and files that are not images by name or content are ignored.
//
// # De-identification
//
// Images and patients get HMAC-SHA256 pseudonyms under a per-workspace secret
// (private/secret.key, mode 0600, created on first ingest). Pixels are the only thing copied from
// a source; no DICOM attribute value, file name or path reaches any file outside private/. The
// report names rejected files by a keyed reference that private/ingest-rejected.csv maps back.
//
// # Resuming
//
// Every image is written atomically; after it is written its outcome is appended to the private
// journal private/ingest-cache.jsonl. A killed ingest leaves at most a temporary file (removed on
// the next run) and a torn journal line (ignored); running it again reuses the journal and
// completes. Before a DICOM file is decoded (perhaps by a C decoder) a "decoding" line is
// journalled: a file during whose decode the process died is decoded alone on the next run, and
// after a second death it is rejected as unreadable, so one file that kills the process cannot
// block the ingest. The index, source map, report and metadata are written atomically at the end, so a
// reader never sees a half-written one. Ingest adds to a workspace: rows of files not given again
// stay, and patients keep their split.
//
// # Invariants
//
//   - No patient is in both splits ([Report.PatientsInBothSplits] is checked to be 0).
//   - The same inputs, seed and workspace give the same ids, split and bytes.
//   - Memory is bounded by a budget, not by what files claim: each file's decode is priced from
//     its headers before it is read (internal/dicomio's scan, internal/imageio's header
//     estimate); a file over [imageio.MaxDecodeBytes] is rejected as too_large, and the decoding
//     workers share one budget of that size. Rejections are journalled, so a re-run skips them.
//   - Class names are letters, digits, _ - and . only ([CheckClass]).
//   - Imports internal/dicomio, internal/imageio, internal/workspace, internal/fsutil and
//     internal/progress only (and golang.org/x/sync/semaphore for the shared budget).
package ingest
