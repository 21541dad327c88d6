package ingest

import (
	"math"
	"slices"
	"strings"

	"github.com/raysynth/raysynth/internal/workspace"
)

// record is one ingested image: a row of the private source map. Everything but SourcePath and
// SourcePatient is a pseudonym or a category.
type record struct {
	ID            string
	Patient       string // pseudonym
	Class         string
	Split         string // "" until assigned
	Kind          string
	SHA256        string // of the workspace PNG
	PixelSHA256   string // of the 8-bit pixels (duplicate detection)
	SourcePath    string // private
	SourcePatient string // private: namespaced source key (label:…, dicom:…, study:…, file:…)
	Indexed       bool   // false when --keep dropped it
}

// assignSplits gives every record without a split the split of its patient. Patients that
// already have one keep it (so adding files never moves anyone). New patients are taken rarest
// class first (the rarest class among their images), in a seeded order within that, and each goes
// to whichever side brings every class it has closest to the holdout fraction of held-out images
// (squared deviation relative to the class's size; ties go to train). That stratifies by class as
// far as patients allow: a class whose images all belong to one patient cannot be split.
func assignSplits(recs []*record, holdout float64, seed uint64) {
	type pat struct {
		key     string // source patient key (order)
		split   string
		classes map[string]int
		rarest  string
	}
	pats := map[string]*pat{}
	classTotal := map[string]int{}
	for _, r := range recs {
		p := pats[r.Patient]
		if p == nil {
			p = &pat{key: r.SourcePatient, classes: map[string]int{}}
			pats[r.Patient] = p
		}
		if r.Split != "" {
			p.split = r.Split
		}
		p.classes[r.Class]++
		classTotal[r.Class]++
	}
	rarer := func(a, b string) bool {
		return classTotal[a] < classTotal[b] || classTotal[a] == classTotal[b] && a < b
	}
	assigned, held := map[string]int{}, map[string]int{}
	var fresh []string
	for id, p := range pats {
		for c := range p.classes {
			if p.rarest == "" || rarer(c, p.rarest) {
				p.rarest = c
			}
		}
		if p.split == "" {
			fresh = append(fresh, id)
			continue
		}
		for c, n := range p.classes {
			assigned[c] += n
			if p.split == workspace.SplitHoldout {
				held[c] += n
			}
		}
	}
	keys := map[string]string{}
	for _, id := range fresh {
		keys[id] = orderKey(seed, "split", pats[id].key)
	}
	slices.SortFunc(fresh, func(a, b string) int {
		ra, rb := pats[a].rarest, pats[b].rarest
		switch {
		case ra != rb && rarer(ra, rb):
			return -1
		case ra != rb:
			return 1
		}
		return strings.Compare(keys[a], keys[b])
	})
	for _, id := range fresh {
		p := pats[id]
		var costHold, costTrain float64
		for c, n := range p.classes {
			tot := float64(assigned[c] + n)
			norm := float64(classTotal[c])
			dh := (float64(held[c]+n) - holdout*tot) / norm
			dt := (float64(held[c]) - holdout*tot) / norm
			costHold += dh * dh
			costTrain += dt * dt
		}
		p.split = workspace.SplitTrain
		if costHold < costTrain {
			p.split = workspace.SplitHoldout
		}
		for c, n := range p.classes {
			assigned[c] += n
			if p.split == workspace.SplitHoldout {
				held[c] += n
			}
		}
	}
	for _, r := range recs {
		r.Split = pats[r.Patient].split
	}
}

// applyKeep marks which records the index holds: for each class with a keep fraction, that
// fraction (rounded, at least one when above zero) of the patients with train images of the class
// keep them, chosen in a seeded order; the others' train images of that class are dropped.
// Held-out images are never dropped. It returns the number dropped per class.
func applyKeep(recs []*record, keep map[string]float64, seed uint64) map[string]int {
	dropped := map[string]int{}
	for _, r := range recs {
		r.Indexed = true
	}
	classes := make([]string, 0, len(keep))
	for c := range keep {
		classes = append(classes, c)
	}
	slices.Sort(classes)
	for _, c := range classes {
		f := keep[c]
		keyOf := map[string]string{}
		for _, r := range recs {
			if r.Class == c && r.Split == workspace.SplitTrain {
				keyOf[r.Patient] = orderKey(seed, "keep/"+c, r.SourcePatient)
			}
		}
		ids := make([]string, 0, len(keyOf))
		for id := range keyOf {
			ids = append(ids, id)
		}
		slices.SortFunc(ids, func(a, b string) int { return strings.Compare(keyOf[a], keyOf[b]) })
		n := int(math.Round(f * float64(len(ids))))
		if f > 0 && n == 0 && len(ids) > 0 {
			n = 1
		}
		kept := map[string]bool{}
		for _, id := range ids[:n] {
			kept[id] = true
		}
		for _, r := range recs {
			if r.Class == c && r.Split == workspace.SplitTrain && !kept[r.Patient] {
				r.Indexed = false
				dropped[c]++
			}
		}
	}
	return dropped
}
