// Package pipeline is `raysynth run`: the stages of a release in order, resumable. It knows the
// stages as typed constants ([Stages] is the one list; `--until` and the state's keys derive from
// it), remembers in WORKSPACE/run/state.json which stage finished with which inputs, and skips a
// finished stage when its input and output fingerprints are unchanged.
//
// # State
//
//	WORKSPACE/run/state.json   {"version": 1, "stages": {"ingest": {...}, "bundle NAME VERSION": {...}}}
//
// A record holds the stage's status (running, done, failed), the sha256 fingerprint of its
// options and input files, the fingerprint of its outputs when done, and a few facts later
// stages need (the bundle folder, the published location). The stages that make a release
// ([Bundle], [Publish], [Verify]) are recorded per name and version, so that going back to a
// version finds its bundle and publication done instead of rebuilding one that could no longer
// be published. State is written atomically before and after each stage.
//
// # Shape
//
// [Run] knows what each stage reads and writes in the workspace (its fingerprints), where run's
// bundle and download links go, and reads the stages' public outputs (privacy summary, DP
// accounting, evaluation report) into a typed [Summary]. It calls the stages' packages with the
// configurations in [Config], which cmd builds with the same functions as the single commands,
// and hands each package's result to [Config.Notify] ([Reported]) for cmd to print as the
// command does. [BundleConfig] is what a release may carry from the workspace (raysynth bundle
// uses it too). [RunSteps] is the engine under it: steps in order, skip, restart, record.
// [NewReport] turns a run's outcome into the [Report] that `raysynth run` prints (--json).
//
// # Imports
//
// The stages (ingest, train, synth, evaluate, privacy, manifest, publish) and internal/... .
// The pipeline never prints: it reports through [Config.Notify] and returns a [Summary].
//
// # Invariants
//
//   - A stage whose inputs changed since it last ran is run again with restart set; one whose
//     outputs changed under it (edited, deleted) is run again too.
//   - [Verify] runs every time: the storage may have changed since the release was published.
//   - state.json holds no secret, pixel or patient identifier: fingerprints and paths only.
//   - An interrupted stage stays "running": the next run starts it again (its own checkpoints
//     make that a resume).
package pipeline
