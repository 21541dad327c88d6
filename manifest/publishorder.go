package manifest

import (
	"slices"
	"strings"
)

// PublishOrder splits a bundle's files into the phases a publisher uploads one after the other,
// so a reader never sees a signature before what it signs: [0] the payload (data/…), [1] the tag
// files (bagit.txt, bag-info.txt, manifest-sha256.txt, croissant.json, README.md,
// privacy-report.json, provenance.json, and any other file), [2] tagmanifest-sha256.txt, [3] the
// signatures (*.sigstore.json). It always returns four phases (some may be empty), each sorted by
// name.
func PublishOrder(files []FileInfo) [][]FileInfo {
	phases := make([][]FileInfo, 4)
	for _, f := range files {
		i := 1
		switch {
		case strings.HasPrefix(f.Name, "data/"):
			i = 0
		case f.Name == FileTagManifest:
			i = 2
		case strings.HasSuffix(f.Name, ".sigstore.json"):
			i = 3
		}
		phases[i] = append(phases[i], f)
	}
	for _, p := range phases {
		slices.SortFunc(p, func(a, b FileInfo) int { return strings.Compare(a.Name, b.Name) })
	}
	return phases
}
