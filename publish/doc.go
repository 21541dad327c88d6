// Package publish puts signed bundles on S3-compatible storage or a local folder, gets them back,
// and lists the releases in a location for audit.
//
// # Imports
//
// manifest only, of this module. It publishes what a manifest describes and never sees train,
// synth or privacy. minio-go types never leave this package.
//
// # Invariants
//
//   - publish never uploads a bundle whose signature does not verify.
//   - Objects go up in an order that never shows a half release: payload, then tag files, then
//     signatures, then the LATEST pointer last, under an immutable NAME/VERSION/ prefix.
//   - Writes are create-only; re-publishing the same content is a no-op, different content is
//     refused.
package publish
