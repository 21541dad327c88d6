// Package publish puts signed bundles on S3-compatible storage or a local folder, gets them back,
// and lists the releases in a location for audit.
//
// # Layout
//
// A [Store] is a root: an S3 bucket and prefix ([OpenS3], minio-go) or a folder ([OpenDir]). Both
// hold the same layout:
//
//	PREFIX/NAME/VERSION/<bundle files>   immutable, one folder per release
//	PREFIX/NAME/LATEST                   small JSON [Pointer]: version + sha256 of its tagmanifest
//
// [Publish] uploads, [OpenRelease] finds a release (following LATEST) and gives a
// manifest.Source to verify it in place, [Fetch] downloads and verifies before anything appears
// in the output folder, [Audit] verifies every release under a root against a [Policy].
//
// # Imports
//
// manifest only, of this module. It publishes what a manifest describes and never sees train,
// synth or privacy. minio-go types never leave this package; configuration comes in as plain
// structs ([S3Config], [Config]) that cmd fills from flags and the AWS_* environment. The
// subpackage s3test runs real S3 servers (MinIO, VersityGW) for tests, or reaches one named by
// RAYSYNTH_S3_TEST_ENDPOINT, and is imported only by _test files.
//
// # Invariants
//
//   - publish never uploads a bundle whose signature does not verify with one of the given keys.
//   - Objects go up in an order that never shows a half release: payload, then tag files, then
//     the tag manifest, then signatures (manifest.PublishOrder), then the LATEST pointer last,
//     under an immutable NAME/VERSION/ prefix. LATEST never names an incomplete release.
//   - Writes are create-only (If-None-Match: *) and carry a full-object CRC-64/NVME checksum the
//     server checks, plus the file's sha256 as metadata; objects are tagged
//     classification=synthetic. A server that rejects or ignores the trailing checksum gets
//     Content-MD5 and a read-back of size and ETag; one that ignores If-None-Match (found by
//     sending the first small object twice) gets a HEAD before each PUT; each fallback is said
//     once ([WriteMode]). Re-publishing the same content is a no-op, different content is
//     refused with [ErrConflict] before anything is written.
//   - Every S3 call has connect, idle and overall deadlines ([Timeouts]): a stalled or trickling
//     server fails within the idle deadline ([ErrStalled]), retried at most 3 times. A host that
//     does not resolve and a refused first connection fail at once ([ErrUnreachable]).
//   - A listing is bounded: at most 250,000 keys (audit's of the whole store: 10,000,000), 20,000
//     pages and 8 MB a page; a server that lists without end fails with [ErrListTooLong], not
//     retried.
//   - A folder store writes temporaries in ROOT/.tmp-publish/, never inside a release folder.
//   - A re-run after an interruption (cancel, kill, server restart) finishes the release, skipping
//     objects already present with the right checksum. Transient errors are retried with backoff
//     ([Retry]); permanent ones ([ErrAccessDenied], [ErrNoSuchBucket], [ErrBadCredentials],
//     [ErrObjectLockUnsupported]) fail at once with a message saying what to check.
//   - Secrets (secret key, session token) never appear in errors, logs or String output.
//   - Fetch never leaves a partial or unverified release in its output folder.
package publish
