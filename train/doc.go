// Package train trains and evaluates the networks: one DCGAN per condition (optionally with
// differentially private discriminator updates) and the CNN classifier, with atomic, resumable
// checkpoints.
//
// # Imports
//
// Only internal/... of this module. gorgonia types never leave the network engine and this
// package: the exported API speaks in float32 slices, image sizes and file paths.
//
// # Invariants
//
//   - Training reads only the real train split; the holdout is never seen by a generator.
//   - Every checkpoint is written atomically and records the hyperparameters, the seed, the code
//     version and the fingerprint of the training index; a resumed run ends with the same weights
//     as an uninterrupted one with the same seed on the same machine.
package train
