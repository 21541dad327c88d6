package manifest

import "strings"

// leakScanner finds any of many forbidden strings in a file in one pass: strings are grouped by
// their first k bytes (k = the shortest string's length, at most 8); each position of the data
// costs a table lookup of its first two bytes and, rarely, one map lookup. A workspace has tens of thousands of pseudonyms and source paths; testing
// them one by one against every tag file would be quadratic.
type leakScanner struct {
	k        int
	first2   []bool // indexed by the first two bytes of a forbidden string (k >= 2)
	byPrefix map[string][]string
}

func newLeakScanner(forbidden []string) *leakScanner {
	s := &leakScanner{k: 8, byPrefix: map[string][]string{}}
	n := 0
	for _, f := range forbidden {
		if f != "" {
			s.k = min(s.k, len(f))
			n++
		}
	}
	if n == 0 {
		return nil
	}
	if s.k >= 2 {
		s.first2 = make([]bool, 1<<16)
	}
	for _, f := range forbidden {
		if f != "" {
			s.byPrefix[f[:s.k]] = append(s.byPrefix[f[:s.k]], f)
			if s.first2 != nil {
				s.first2[int(f[0])<<8|int(f[1])] = true
			}
		}
	}
	return s
}

// found reports whether data contains any forbidden string.
func (s *leakScanner) found(data []byte) bool {
	if s == nil {
		return false
	}
	for i := 0; i+s.k <= len(data); i++ {
		if s.first2 != nil && !s.first2[int(data[i])<<8|int(data[i+1])] {
			continue
		}
		cands, ok := s.byPrefix[string(data[i:i+s.k])]
		if !ok {
			continue
		}
		rest := data[i:]
		for _, c := range cands {
			if len(rest) >= len(c) && strings.HasPrefix(string(rest[:len(c)]), c) {
				return true
			}
		}
	}
	return false
}
