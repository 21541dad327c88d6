package privacy

import (
	"bufio"
	"cmp"
	"encoding/gob"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/raysynth/raysynth/internal/fsutil"
)

// Sharding splits the nearest-neighbour searches across machines by reference block: shard i of
// n scans the blocks of BlockRefs references numbered b with b mod n = i−1, for every search of
// every embedding, and keeps per query and per reference the same candidate lists the full scan
// keeps, restricted to its blocks. A list keeps the smallest (squared float32 distance, index)
// pairs it is offered whatever their order, so the union of the shards' lists, cut to the list
// length, is exactly the full scan's list; merging then re-ranks and runs every check as one
// machine does, and writes byte-identical reports (except their creation time and duration).

// Shard names one shard of n (numbered from 1).
type Shard struct{ I, N int }

// String is "i/n".
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.I, s.N) }

// Valid reports whether 1 ≤ I ≤ N.
func (s Shard) Valid() bool { return s.N >= 1 && s.I >= 1 && s.I <= s.N }

// ParseShard parses "i/n".
func ParseShard(v string) (Shard, error) {
	var s Shard
	var rest string
	if n, _ := fmt.Sscanf(v, "%d/%d%s", &s.I, &s.N, &rest); n < 2 || rest != "" || !s.Valid() {
		return Shard{}, fmt.Errorf("shard %q: want i/n with 1 ≤ i ≤ n, e.g. 2/4", v)
	}
	return s, nil
}

// ErrShards is wrapped when shard outputs cannot be merged: missing, repeated, or made from
// other inputs.
var ErrShards = errors.New("shards do not fit together")

// shardFormat is the version of the shard file layout.
const shardFormat = 1

// ShardFile is the file a shard writes in its folder.
const ShardFile = "shard.gob"

// shardItem is one kept candidate: a row index and its float32 squared distance.
type shardItem struct {
	J int32
	D float32
}

// shardLists are one search's kept candidates, forward (per query) and reverse (per reference).
type shardLists struct {
	KeepF, KeepR int
	Fwd, Rev     [][]shardItem
}

// shardData is a shard's output.
type shardData struct {
	Format      int
	Shard       Shard
	Fingerprint string // of the inputs: every shard of a merge must have the same
	Searches    map[string]*shardLists
}

// sharding carries a shard's part of the searches (shard set) or the merged lists (merging).
type sharding struct {
	shard    Shard // zero when merging
	searches map[string]*shardLists
}

func (s *sharding) scanOnly() bool { return s != nil && s.shard.N > 0 }

func toLists(hs []topK) [][]shardItem {
	if hs == nil {
		return nil
	}
	out := make([][]shardItem, len(hs))
	for i, h := range hs {
		l := make([]shardItem, len(h.items))
		for p, it := range h.items {
			l[p] = shardItem{int32(it.j), it.d}
		}
		out[i] = l
	}
	return out
}

func fromLists(ls [][]shardItem, k int) []topK {
	if ls == nil {
		return nil
	}
	out := make([]topK, len(ls))
	for i, l := range ls {
		items := make([]item, len(l))
		for p, it := range l {
			items[p] = item{int(it.J), it.D}
		}
		out[i] = topK{k: k, items: items}
	}
	return out
}

// writeShard writes the shard's lists to dir/shard.gob (atomically).
func writeShard(dir string, d *shardData) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	p := filepath.Join(dir, ShardFile)
	f, err := fsutil.Create(p, 0o600)
	if err != nil {
		return err
	}
	defer f.Abort()
	w := bufio.NewWriterSize(f, 1<<20)
	if err := gob.NewEncoder(w).Encode(d); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	return f.Commit()
}

// readShard reads dir/shard.gob.
func readShard(dir string) (*shardData, error) {
	p := filepath.Join(dir, ShardFile)
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrShards, err)
	}
	defer f.Close()
	var d shardData
	if err := gob.NewDecoder(bufio.NewReader(f)).Decode(&d); err != nil {
		return nil, fmt.Errorf("%w: read %s: %w", ErrShards, p, err)
	}
	if d.Format != shardFormat {
		return nil, fmt.Errorf("%w: %s has format %d, this raysynth reads %d", ErrShards, p, d.Format, shardFormat)
	}
	return &d, nil
}

// mergeShards reads the shard folders and merges their lists: every shard of one split exactly
// once, all made from the inputs whose fingerprint is want.
func mergeShards(dirs []string, want string) (map[string]*shardLists, error) {
	if len(dirs) == 0 {
		return nil, fmt.Errorf("%w: no shard folder given", ErrShards)
	}
	var merged map[string]*shardLists
	seen := map[int]string{}
	n := 0
	for _, dir := range dirs {
		d, err := readShard(dir)
		if err != nil {
			return nil, err
		}
		switch {
		case !d.Shard.Valid():
			return nil, fmt.Errorf("%w: %s names shard %s", ErrShards, dir, d.Shard)
		case n != 0 && d.Shard.N != n:
			return nil, fmt.Errorf("%w: %s is shard %s, %s is of a split into %d", ErrShards, dir, d.Shard, dirs[0], n)
		case seen[d.Shard.I] != "":
			return nil, fmt.Errorf("%w: shard %s given twice (%s and %s)", ErrShards, d.Shard, seen[d.Shard.I], dir)
		case d.Fingerprint != want:
			return nil, fmt.Errorf("%w: %s was made from other inputs (workspace images, candidates, policy, seed or raysynth version) than this workspace has", ErrShards, dir)
		}
		n = d.Shard.N
		seen[d.Shard.I] = dir
		if merged == nil {
			merged = d.Searches
			continue
		}
		for key, l := range d.Searches {
			m := merged[key]
			if m == nil || len(m.Fwd) != len(l.Fwd) || len(m.Rev) != len(l.Rev) {
				return nil, fmt.Errorf("%w: %s: search %q does not match the other shards'", ErrShards, dir, key)
			}
			for i := range l.Fwd {
				m.Fwd[i] = append(m.Fwd[i], l.Fwd[i]...)
			}
			for i := range l.Rev {
				m.Rev[i] = append(m.Rev[i], l.Rev[i]...)
			}
		}
	}
	if len(seen) != n {
		var missing []int
		for i := 1; i <= n; i++ {
			if seen[i] == "" {
				missing = append(missing, i)
			}
		}
		return nil, fmt.Errorf("%w: shard(s) %v of %d missing", ErrShards, missing, n)
	}
	// keep the smallest (distance, index) pairs of each list, as one scan would
	cut := func(ls [][]shardItem, k int) {
		for i, l := range ls {
			slices.SortFunc(l, func(a, b shardItem) int {
				if c := cmp.Compare(a.D, b.D); c != 0 {
					return c
				}
				return cmp.Compare(a.J, b.J)
			})
			ls[i] = l[:min(len(l), k)]
		}
	}
	for _, m := range merged {
		cut(m.Fwd, m.KeepF)
		cut(m.Rev, m.KeepR)
	}
	return merged, nil
}
