// Package flagfile sets command-line flags from a YAML or JSON file: the keys at the top name
// flags, and a section (a mapping named after a group of flags) holds the flags that carry the
// group's prefix, so `gan: {epochs: 5}` sets --gan-epochs 5. raysynth run's --config is one.
//
// # Invariants
//
//   - A flag the command line set wins over the file: [Apply] sets only flags not yet changed.
//   - An unknown key, a section that is not a mapping or a value its flag refuses is an [*Error]
//     naming the file and the key; no input panics (FuzzApply).
//   - Relative paths in the keys [Spec.Paths] names are resolved against the file's folder, so a
//     file means the same wherever it is run from.
//   - Imports nothing of this module (plumbing, layer 0).
package flagfile
