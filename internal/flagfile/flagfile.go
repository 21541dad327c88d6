package flagfile

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"
)

// A Section is a mapping in the file whose keys name the flags Name+"-"+key.
type Section struct {
	Name string
	Top  []string // keys that name the flag of their own name, without the prefix (--from)
	Omit []string // keys the section may not hold: flags the command sets itself
}

// AddFlags adds to dst the flags of src that the section may hold, named as a file names them:
// a Top flag under its own name, any other with the prefix Name+"-" and its usage prefixed with
// "Name: ". The new flags share src's values (setting --gan-epochs sets what --epochs would), lose
// their shorthand and annotations, and are hidden unless shown says otherwise of the prefixed
// name; Top flags are always shown.
func (s Section) AddFlags(dst, src *pflag.FlagSet, shown func(name string) bool) {
	src.VisitAll(func(fl *pflag.Flag) {
		if slices.Contains(s.Omit, fl.Name) {
			return
		}
		nf := *fl
		nf.Annotations, nf.Shorthand = nil, ""
		if !slices.Contains(s.Top, fl.Name) {
			nf.Name = s.Name + "-" + fl.Name
			nf.Usage = s.Name + ": " + fl.Usage
			nf.Hidden = !shown(nf.Name)
		}
		dst.AddFlag(&nf)
	})
}

// Spec says which keys a file may hold.
type Spec struct {
	Sections []Section
	Top      []string        // keys outside any section, each naming the flag of its name
	Paths    map[string]bool // flags holding paths or URLs; relative paths are resolved against the file's folder
}

// Error is a file that cannot be applied: unreadable, not YAML or JSON, an unknown key or a value
// its flag refuses.
type Error struct {
	Path string
	Read bool // the file could not be read
	Err  error
}

func (e *Error) Error() string {
	if e.Read {
		return fmt.Sprintf("read config %s: %v", e.Path, e.Err)
	}
	return fmt.Sprintf("config %s: %v", e.Path, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Apply reads the YAML or JSON file at path and sets from it every flag of fs that is not
// changed yet, marking it changed. Keys are applied in sorted order.
func Apply(path string, fs *pflag.FlagSet, spec Spec) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return &Error{Path: path, Read: true, Err: err}
	}
	var doc map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return &Error{Path: path, Err: err}
	}
	a := applier{fs: fs, spec: spec, dir: filepath.Dir(path)}
	for _, k := range sortedKeys(doc) {
		if err := a.key(k, doc[k]); err != nil {
			return &Error{Path: path, Err: err}
		}
	}
	return nil
}

type applier struct {
	fs   *pflag.FlagSet
	spec Spec
	dir  string
}

func (a applier) key(k string, v any) error {
	for _, sec := range a.spec.Sections {
		if sec.Name == k {
			return a.section(sec, v)
		}
	}
	if !slices.Contains(a.spec.Top, k) {
		var secs []string
		for _, s := range a.spec.Sections {
			secs = append(secs, s.Name)
		}
		slices.Sort(secs)
		return fmt.Errorf("unknown key %q (top-level keys: %s; sections: %s)", k, strings.Join(a.spec.Top, ", "), strings.Join(secs, ", "))
	}
	return a.set(k, k, v)
}

func (a applier) section(sec Section, v any) error {
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("%s must be a mapping of %s's flags (e.g. %s: {epochs: 5})", sec.Name, sec.Name, sec.Name)
	}
	for _, sk := range sortedKeys(m) {
		name := sec.Name + "-" + sk
		if slices.Contains(sec.Top, sk) {
			name = sk
		}
		if slices.Contains(sec.Omit, sk) || a.fs.Lookup(name) == nil {
			return fmt.Errorf("unknown key %s.%s (the %s keys: %s)", sec.Name, sk, sec.Name, strings.Join(a.sectionKeys(sec), ", "))
		}
		if err := a.set(sec.Name+"."+sk, name, m[sk]); err != nil {
			return err
		}
	}
	return nil
}

// set gives flag name the value v of key, unless the command line set it.
func (a applier) set(key, name string, v any) error {
	fl := a.fs.Lookup(name)
	if fl == nil {
		return fmt.Errorf("%s: no such flag --%s", key, name)
	}
	if fl.Changed {
		return nil // the command line wins
	}
	vals, err := values(v)
	if err != nil {
		return fmt.Errorf("%s: %v", key, err)
	}
	if a.spec.Paths[name] {
		for i, s := range vals {
			if s != "" && !filepath.IsAbs(s) && !strings.Contains(s, "://") {
				vals[i] = filepath.Join(a.dir, s)
			}
		}
	}
	if sv, ok := fl.Value.(pflag.SliceValue); ok {
		err = sv.Replace(vals)
	} else if len(vals) != 1 {
		err = fmt.Errorf("want one value, not a list")
	} else {
		err = a.fs.Set(name, vals[0])
	}
	if err != nil {
		return fmt.Errorf("%s: %v", key, err)
	}
	fl.Changed = true
	return nil
}

// sectionKeys are the keys a section may hold.
func (a applier) sectionKeys(sec Section) []string {
	var ks []string
	a.fs.VisitAll(func(fl *pflag.Flag) {
		if s, ok := strings.CutPrefix(fl.Name, sec.Name+"-"); ok && !slices.Contains(sec.Omit, s) {
			ks = append(ks, s)
		}
	})
	return append(ks, sec.Top...)
}

// values turns a YAML scalar or list into flag values.
func values(v any) ([]string, error) {
	switch x := v.(type) {
	case nil:
		return nil, fmt.Errorf("no value")
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, err := values(e)
			if err != nil {
				return nil, err
			}
			if len(s) != 1 {
				return nil, fmt.Errorf("a list inside a list")
			}
			out = append(out, s[0])
		}
		return out, nil
	case map[string]any:
		return nil, fmt.Errorf("want a value or a list, not a mapping")
	case float64:
		return []string{fmt.Sprint(x)}, nil
	}
	return []string{fmt.Sprint(v)}, nil
}

func sortedKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
