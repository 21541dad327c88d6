// Package workspace is the on-disk store every stage reads and writes: where the real images,
// checkpoints, synthetic candidates, approved set, privacy reports and evaluation live, and the
// CSV indexes that describe them.
//
// # Layout
//
//	WORKSPACE/
//	  workspace.json            format version, image size, classes, seed
//	  private/                  (0700) NEVER published by any stage
//	    secret.key              (0600) HMAC key behind every pseudonym
//	    source-map.csv          (0600) image id → source path and source patient id, for tracing
//	  real/index.csv            id, patient, class, split, sha256, source_kind (pseudonyms only)
//	  real/images/<id>.png      de-identified, normalised 8-bit gray images
//	  ingest/report.json        accepted / rejected files with reasons (no source paths)
//	  gan/<class>/              DCGAN checkpoints, training log, sample grids
//	  classifier/               classifier checkpoints
//	  synth/index.csv           candidate synthetic images
//	  synth/candidates/<class>/<id>.png (and .dcm)
//	  privacy/report.json       full privacy report (PRIVATE: per-image flags against real images)
//	  privacy/report.html       steward's visual report (PRIVATE: shows real images)
//	  privacy/summary.json      public aggregate summary that a release carries
//	  approved/index.csv        the synthetic images the privacy gate approved
//	  approved/images/<class>/<id>.png (and .dcm)
//	  eval/                     evaluation reports and charts
//	  run/state.json            raysynth run's resumable state: per stage, status and input/output fingerprints (package pipeline)
//	  run/signer.pub            the public half of --key, when run found none beside it
//	  run/bundle/NAME-VERSION/  the bundles run built (unless --bundle-out)
//	  run/links/NAME-VERSION.tsv (0600) --publish-presign's download links: bearer URLs, never published
//
// # Invariants
//
//   - Indexes are written atomically (temporary name, then rename) and sorted by id, so the same
//     content gives the same bytes.
//   - Nothing under private/, and neither privacy/report.json nor privacy/report.html, may be
//     published; [Workspace.IsPrivate] says which paths are private.
//   - Imports only internal/fsutil.
package workspace
