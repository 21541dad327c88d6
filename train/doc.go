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
//
// # DCGAN
//
// [TrainGAN] writes gan/<class>/ (checkpoint, JSONL log, sample grids, loss plot, summary.json of
// contract C3); [LoadGenerator] samples a checkpoint in eval mode, sample k of a seed from a latent
// vector that depends only on (seed, k) ([LatentZ]). Checkpoint files ([WriteCheckpoint],
// [ReadCheckpoint]: a JSON header and raw float32 tensors) are meant for every network here. Each
// discriminator update runs its gradients through a [GradHook] before Adam: the place where
// per-patient clipping and noise (DP-SGD) plug in; with BatchNorm in D, DP training will need
// per-patient micro-batches or a BatchNorm-free discriminator.
package train
