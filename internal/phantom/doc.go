// Package phantom makes labelled synthetic chest radiograph phantoms, so that a machine with no
// real data can run the demo and the tests. It is a procedural renderer, not a model: every film
// is computed from a small set of anatomical parameters drawn from a seed.
//
// Phantoms are for demos and tests, not for research: their anatomy and findings are caricatures
// chosen to be easy to learn at 64×64, not clinically faithful.
//
// # What a film shows
//
// A film is an 8-bit [image.Gray] in the usual radiograph convention (air and lungs dark, bone and
// soft tissue bright, the patient's left on the image's right): body outline and neck, two lung
// fields with branching vessel markings and parenchymal texture, mediastinum, trachea, carina and
// main bronchi, spine, a heart shadow extending to the image right, posterior and anterior ribs,
// clavicles, humeral heads, diaphragm domes with sharp costophrenic angles and a gastric bubble,
// quantum noise and vignetting. The chest is framed like a real film. The classes add:
//
//   - normal: cardiothoracic ratio (CTR) 0.38–0.47.
//   - cardiomegaly: CTR 0.55–0.66 (see [Patient.CTR]).
//   - effusion: fluid at one or both bases with a meniscus that rises laterally, hiding the
//     diaphragm dome and blunting the costophrenic angle.
//   - pneumothorax: one lung partly collapsed towards its medial base, leaving an apical and
//     lateral region of pure air without markings, bounded by a thin pleural line.
//   - edema: bilateral perihilar and basal haze with indistinct vessels and Kerley B lines.
//
// Each phantom patient has several films that differ by small changes of pose (rotation, shift,
// scale), inspiration depth, exposure, noise and vignetting.
//
// # Output layout
//
// [Generate] writes, atomically (a temporary folder renamed into place at the end):
//
//	DIR/images/<patient>_<nn>.png   8-bit gray films
//	DIR/labels.csv                  file,label,patient (ingest's plain layout; file relative to DIR)
//	DIR/phantom.json                seed, size, mix and counts, to reproduce the set
//	DIR/.preview/contact-sheet.png  two films per class, labelled, for people to look at (in a
//	                                dot-folder, which ingest skips, so it is not taken for a film)
//
// # Invariants
//
//   - Deterministic: the same [Config] (seed, size, counts, mix, films per patient) gives
//     byte-identical files on the same platform and version; the seed is recorded in
//     phantom.json.
//   - A half-written set is never left under DIR.
//   - Imports only internal/fsutil, internal/imageio and internal/progress.
package phantom
