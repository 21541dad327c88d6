// Package manifest builds, reads, signs and verifies release bundles: a BagIt bag (RFC 8493) with
// Croissant 1.1 metadata, a dataset card, an in-toto provenance statement, and Sigstore bundle
// signatures that cosign verifies offline.
//
// # Layout of a bundle
//
//	bagit.txt                              BagIt-Version 1.0, UTF-8
//	bag-info.txt                           Source-Organization, External-Identifier, Bagging-Date, Payload-Oxum, …
//	data/index.csv                         id, class, file, sha256, size, generator, seed, sample, dicom, dicom_sha256, dicom_size
//	data/images/<class>/<id>.png (.dcm)    the approved synthetic images
//	manifest-sha256.txt                    "<sha256>  <path>" for every payload file (sha256sum -c reads it)
//	croissant.json                         Croissant 1.1 + RAI; a FileObject (sha256, size) per tag file and data/index.csv
//	README.md                              dataset card (Hugging Face front matter, Datasheets sections)
//	privacy-report.json                    the privacy stage's public summary, verbatim
//	tagmanifest-sha256.txt                 sha256 of bagit.txt, bag-info.txt, manifest-sha256.txt, croissant.json, README.md, privacy-report.json
//	provenance.json                        in-toto Statement v1, SLSA provenance v1 predicate; subjects include the two manifests and croissant.json
//	tagmanifest-sha256.txt.sigstore.json   Sigstore bundle v0.3, message signature over tagmanifest-sha256.txt
//	provenance.sigstore.json               Sigstore bundle v0.3, DSSE envelope whose payload is provenance.json
//
// The chain of trust: the key signs tagmanifest-sha256.txt, which fixes every tag file, whose
// manifest-sha256.txt fixes every payload file; provenance.json is covered by its own DSSE
// signature (it cannot be in the tag manifest, since it names the tag manifest's hash).
//
// # Imports
//
// Nothing of this module. sigstore types never leave this package: callers see [PublicKey],
// [Signer], [Problem] and plain data.
//
// # Invariants
//
//   - JSON is written deterministically (sorted keys, LF, UTC RFC 3339), so the same inputs give the
//     same bytes except for signatures and chosen dates.
//   - A bundle appears under its final name only when complete and signed ([Build] assembles it in
//     a temporary folder beside the target and renames it).
//   - [Build] refuses a failed privacy gate without an override reason ([ErrPrivacyGate]), and any
//     file that would contain a forbidden string or equal a real image ([ErrLeak]); it never names
//     the forbidden string.
//   - [Verify] reads a bundle through a [Source], never opens an unsafe entry (.., absolute,
//     non-UTF-8, symbolic link, device), streams every file through sha256 and reads at most the
//     size the manifests state plus one byte; it reports every problem, not only the first.
//   - Until the tag manifest's signature verifies, [Verify] reads only the two signed files and
//     their signature bundles (each within a fixed bound) and reports the failure with a count of
//     the files left unread: nothing an unsigned manifest says is acted on.
//   - With a [Binding], a bundle whose signed name or version (bag-info.txt, croissant.json,
//     provenance.json) is not its location's, or whose tag manifest is not the one a LATEST
//     pointer names, fails verification.
//   - Keys are ECDSA P-256 with SHA-256 (what cosign signs blobs with); private keys are in cosign's
//     ENCRYPTED SIGSTORE PRIVATE KEY format; KMS keys go through sigstore's kms.Get (plugins
//     sigstore-kms-<scheme> on PATH).
package manifest
