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
// [TrainGAN] writes gan/<class>/ (checkpoint, JSONL log, sample grids, loss plot, summary.json,
// read by other stages as contract.GANSummary); [LoadGenerator] samples a checkpoint in eval
// mode, sample k of a seed from a latent vector that depends only on (seed, k) ([LatentZ]). Checkpoint files ([WriteCheckpoint],
// [ReadCheckpoint]: a JSON header and raw float32 tensors) are meant for every network here.
//
// # Steps, recipes and the sample check
//
// A class trains for a step budget ([GANConfig].Steps; [DefaultSteps] when neither steps nor
// epochs are given: a GAN needs steps, and a class of a hundred films makes only three per
// epoch). Every class with at least [GANConfig].MinImages train films is trained; one smaller than
// the batch uses all its films at every step. The [Recipe] says how: [RecipeDCGAN] is the
// published DCGAN; [RecipeAugmented] puts a differentiable augmentation (DiffAugment: brightness,
// contrast, translation, cutout, never a flip) in front of the discriminator for real and
// generated images alike, so the generator learns through it. Every recipe keeps an exponential
// moving average of the generator's weights with a warm-up (decay min(d, (1+t)/(10+t))); its
// BatchNorm statistics are re-estimated from latent batches before it is saved or sampled. The
// checkpoint holds both; the recipe says which synth samples. At each sample grid,
// [SampleCheck] compares the grid's 64 samples with the training films (how many distinct films
// are nearest, how much the samples vary) and warns of collapse; summary.json carries it.
//
// # Pooled start
//
// With [GANConfig].Init [InitPooled], [TrainGAN] first trains one generator and discriminator on
// the train films of every class pooled ([PooledDir], [GANConfig].PooledSteps steps, resumable
// like a class), then starts each class from those weights and fine-tunes them on the class's own
// films. The class's checkpoint and summary.json record the start ([PooledInit]: steps, the
// fingerprint of the pooled training index, checkpoint sha256); a class checkpoint made from
// another pooled generator is refused. [GANConfig].Restart restarts the classes and keeps a
// pooled generator that matches the run (training one made otherwise again). Privacy: the pooled generator saw every train patient, so
// every class's generator has; the privacy gate's memorization search and its "all classes"
// checks compare the synthetic films with every class's train patients, which is the set this
// start exposes. Differential privacy is refused with it ([ErrPooledDP]): the pooled training is
// not private, so no class's ε would hold.
//
// # Memory
//
// Training memory does not grow with the number of films. The loaders ([LoadReal],
// [LoadSynthetic]) and GAN training write the films once as 8-bit pixels to an unlinked
// temporary file in the workspace folder and read back one batch at a time, converting to
// float32 then (bit for bit what holding them as float32 gave); the collapse check and
// validation read the training films in blocks. What stays in memory per film is small and
// flat: [LoadReal] reads the index a row at a time into a compact table (ids one after another,
// each patient once), an [Example] is a 16-byte handle on its row, and the validation split and
// validation pass keep a few bytes per film. BenchmarkTrainMemory measures it
// (docs/results/scale/).
//
// # Precision
//
// [GANConfig].Precision and [ClassifierConfig].Precision choose the arithmetic of the matrix
// products (convolutions, transposed convolutions, dense layers and their gradients): [FP32], or
// [BF16], the mixed precision of PyTorch's CPU autocast: both inputs of every product rounded to
// bfloat16 (nearest even), the products accumulated and returned in float32 (oneDNN where
// [ResolvePrecision] finds AVX512_BF16 or AMX, about twice the float32 rate). Master weights, Adam
// state, BatchNorm statistics, activations and losses stay float32. The precision is recorded in
// the checkpoint and summary.json ("precision"); a checkpoint resumes only in its own precision,
// and a resumed run ends with the same weights as an uninterrupted one on the same machine and
// precision. Generators sample in float32 unless [Generator.SetPrecision] says otherwise.
// docs/results/engine/bf16.md holds the speed and the quality check that lets auto choose bf16.
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
//
// The recipes keep this guarantee. (1) Augmentation is applied per image inside a sampled
// patient's micro-batch, before that patient's backward pass: it is part of the per-patient
// gradient function, whose output is clipped to C whatever it computes, and its random choices
// are drawn independently of every image, so the sensitivity of the noised sum is still C and
// the accountant's analysis is unchanged (the augmentation of generated images touches no real
// data at all). (2) The moving average of the generator's weights is a function of the
// generator's iterates only, which are already post-processing of the private discriminator
// updates; its BatchNorm re-estimation feeds latent vectors, never images. Post-processing
// cannot weaken differential privacy. (3) With [BF16] only the products inside each patient's
// forward and backward pass round their inputs: that is part of the per-patient gradient
// function, whose output is then clipped to C in float32; the norms, the clipping, the noise and
// the sum are computed in float32, so the sensitivity and the accountant are unchanged. (4) One generator is trained per class on that class's
// patients: the class label is part of the patient's record, and a patient's films in k classes
// are covered by at most k·ε at k·δ, as stated above.
package train
