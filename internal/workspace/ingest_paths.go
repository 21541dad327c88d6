package workspace

// Private files of ingest (see the package documentation for the rest of the layout).

// IngestCachePath is ingest's private journal of decoded source files (source path, size, time,
// image id), appended as each image is written, so an interrupted ingest resumes without decoding
// again.
func (w *Workspace) IngestCachePath() string { return w.Path("private", "ingest-cache.jsonl") }

// RejectedListPath is ingest's private list of rejected source files: report reference → source
// path and reason. The public report names files only by reference.
func (w *Workspace) RejectedListPath() string { return w.Path("private", "ingest-rejected.csv") }

// RealImagesDir is the folder of the real images.
func (w *Workspace) RealImagesDir() string { return w.Path("real", "images") }
