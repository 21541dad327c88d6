// Package train trains the networks: one DCGAN per condition (optionally with
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
// [ReadCheckpoint]: a JSON header and raw float32 tensors) are meant for every network here.
//
// # Differential privacy
//
// With [GANConfig].DP set, the discriminator is trained with DP-SGD at the patient level: each
// step draws a Poisson sample of the class's train patients (rate q), runs one backward pass per
// sampled patient (at most MaxFilms films, two patients in parallel), clips each patient's summed
// gradient to norm C, adds Gaussian noise σ·C to the sum and divides by q·N. The discriminator
// normalises each image on its own (batch statistics would mix patients). The generator learns
// only through the discriminator, so its updates are post-processing. internal/rdp accounts the
// privacy spent (RDP of the sampled Gaussian mechanism, accountant "rdp/1"); training stops
// before the target ε is exceeded, the checkpoint keeps the accountant's phases (a resumed run
// goes on counting), and summary.json's "dp" ([DPSummary]) is what bundle copies into the
// provenance. Noise and sampling come from crypto/rand, never from the published seed.
package train
