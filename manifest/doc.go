// Package manifest builds, reads, signs and verifies release bundles: a BagIt bag (RFC 8493) with
// Croissant 1.1 metadata, a dataset card, an in-toto provenance statement, and Sigstore bundle
// signatures that cosign verifies offline.
//
// # Imports
//
// Nothing of this module. sigstore types never leave this package.
//
// # Invariants
//
//   - JSON is written deterministically (sorted keys, LF, UTC RFC 3339), so the same inputs give the
//     same bytes except for signatures and chosen dates.
//   - A bundle appears under its final name only when complete and signed.
//   - Verification reads a bundle through a [Source] and never follows a path outside it.
package manifest
