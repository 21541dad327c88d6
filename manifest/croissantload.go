package manifest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// KindCroissantLoad is the kind of a [VerifyResult] warning: croissant.json is signed and
// intact, but a Croissant reader would not load the data set from it (a field's source that does
// not exist, an undeclared join, a nonstandard @context, index rows and files that do not pair).
const KindCroissantLoad = "croissant-load"

// maxLoadDetails bounds how many rows or files one rule names before it counts the rest.
const maxLoadDetails = 5

// fileProperties are the values Croissant 1.1 allows for extract.fileProperty.
var fileProperties = []string{"fullpath", "filepath", "filename", "content", "lines", "lineNumbers"}

// croissantLoadProblems checks croissant.json the way Croissant readers load it, without Python:
// the rules mlcroissant 1.1.0 applies when it builds and runs a record set, checked against the
// bundle's index and payload. header and rows are data/index.csv's (nil when it did not parse:
// the rules that pair rows with files are then skipped); payload lists the bundle's payload
// paths. Each problem is one sentence.
func croissantLoadProblems(data []byte, header []string, rows []indexRow, payload []string) []string {
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		return []string{"not a JSON object: " + err.Error()}
	}
	c := &loadCheck{doc: doc, header: header, rows: rows, payload: payload,
		dist: map[string]map[string]any{}, fields: map[string]map[string]any{}, fieldSet: map[string]map[string]any{}, sets: map[string]map[string]any{}}
	c.context()
	for _, d := range list(doc["distribution"]) {
		if id := str(d["@id"]); id != "" {
			c.dist[id] = d
		}
	}
	recordSets := list(doc["recordSet"])
	if len(recordSets) == 0 {
		c.add("no recordSet: there is nothing to load")
	}
	for _, rs := range recordSets {
		id := str(rs["@id"])
		c.sets[id] = rs
		for _, f := range list(rs["field"]) {
			c.fields[str(f["@id"])] = f
			c.fieldSet[str(f["@id"])] = rs
		}
	}
	images := false
	for _, rs := range recordSets {
		if c.recordSet(rs) {
			images = true
		}
	}
	if len(recordSets) > 0 && !images {
		c.add("no record set yields the images (a field of dataType sc:ImageObject read from the image files)")
	}
	return c.problems
}

type loadCheck struct {
	doc      map[string]any
	header   []string
	rows     []indexRow
	payload  []string
	dist     map[string]map[string]any // distribution @id → entry
	fields   map[string]map[string]any // field @id → field
	fieldSet map[string]map[string]any // field @id → its record set
	sets     map[string]map[string]any // record set @id → record set
	problems []string
}

func (c *loadCheck) add(format string, a ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, a...))
}

// context compares the @context with Croissant 1.1's, key by key.
func (c *loadCheck) context() {
	got, _ := c.doc["@context"].(map[string]any)
	want := croissantContext()
	var missing, differ []string
	for k, w := range want {
		g, ok := got[k]
		switch {
		case !ok:
			missing = append(missing, k)
		case !jsonEqual(g, w):
			differ = append(differ, k)
		}
	}
	var extra []string
	for k := range got {
		if _, ok := want[k]; !ok {
			extra = append(extra, k)
		}
	}
	slices.Sort(missing)
	slices.Sort(differ)
	slices.Sort(extra)
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, "lacks "+strings.Join(missing, ", ")) // keys of the official context
	}
	if len(differ) > 0 {
		parts = append(parts, "defines "+strings.Join(differ, ", ")+" differently")
	}
	if len(extra) > 0 {
		parts = append(parts, "adds "+quoteSome(extra))
	}
	if len(parts) > 0 {
		c.add("the @context is not Croissant 1.1's: it %s (readers warn that it is not standard)", strings.Join(parts, "; "))
	}
}

func jsonEqual(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

// ref is what a source or references object points at.
type ref struct {
	kind, id         string // "fileObject", "fileSet" or "field"; the @id
	column, property string // extract.column, extract.fileProperty
	regex            string // transform.regex
}

func parseRef(v any) (ref, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return ref{}, false
	}
	var r ref
	for _, kind := range []string{"fileObject", "fileSet", "field"} {
		if o, ok := m[kind].(map[string]any); ok {
			if r.kind != "" {
				return ref{kind: "several"}, true
			}
			r.kind, r.id = kind, str(o["@id"])
		}
	}
	if ex, ok := m["extract"].(map[string]any); ok {
		r.column, r.property = str(ex["column"]), str(ex["fileProperty"])
	}
	for _, t := range listOrOne(m["transform"]) {
		if re := str(t["regex"]); re != "" {
			r.regex = re
		}
	}
	return r, true
}

// node is the data source a ref draws from: a distribution @id, or a record set for a field ref.
func (c *loadCheck) node(r ref) string {
	if r.kind == "field" {
		return "recordSet:" + str(c.fieldSet[r.id]["@id"])
	}
	return r.id
}

// resolve reports why r does not lead to data, or "".
func (c *loadCheck) resolve(r ref) string {
	switch r.kind {
	case "fileObject", "fileSet":
		d, ok := c.dist[r.id]
		want := "cr:FileObject"
		if r.kind == "fileSet" {
			want = "cr:FileSet"
		}
		if !ok || str(d["@type"]) != want {
			return fmt.Sprintf("its %s %q is not a %s of the distribution", r.kind, r.id, want)
		}
		if r.column != "" && r.kind == "fileObject" && str(d["contentUrl"]) == FileIndex && c.header != nil && !slices.Contains(c.header, r.column) {
			return fmt.Sprintf("column %q is not in %s (its columns: %s)", r.column, FileIndex, strings.Join(c.header, ", ")) // our header
		}
		if r.column == "" && r.property == "" {
			return "it extracts nothing (no extract.column or extract.fileProperty)"
		}
		if r.property != "" && !slices.Contains(fileProperties, r.property) {
			return fmt.Sprintf("fileProperty %q is not one of %s", r.property, strings.Join(fileProperties, ", "))
		}
	case "field":
		if _, ok := c.fields[r.id]; !ok {
			return fmt.Sprintf("field %q does not exist", r.id)
		}
	case "several":
		return "it names more than one of fileObject, fileSet and field"
	default:
		return "it names no fileObject, fileSet or field"
	}
	if r.regex != "" {
		if _, err := regexp.Compile(r.regex); err != nil {
			return fmt.Sprintf("transform regex %q does not compile: %v", r.regex, err)
		}
	}
	return ""
}

// recordSet checks one record set and reports whether it yields images from a file set.
func (c *loadCheck) recordSet(rs map[string]any) bool {
	id := str(rs["@id"])
	fields := list(rs["field"])
	if len(fields) == 0 {
		c.add("record set %q has no fields", id)
		return false
	}
	if key, ok := rs["key"].(map[string]any); ok {
		k := str(key["@id"])
		if c.fieldSet[k] == nil || str(c.fieldSet[k]["@id"]) != id {
			c.add("record set %q: its key %q is not one of its fields", id, k)
		}
	}
	if rs["data"] != nil {
		// Inline records (an enumeration): every record names only this set's fields.
		for _, rec := range list(rs["data"]) {
			for k := range rec {
				if c.fieldSet[k] == nil || str(c.fieldSet[k]["@id"]) != id {
					c.add("record set %q: inline data names %q, which is not one of its fields", id, k)
					return false
				}
			}
		}
		return false
	}
	var sources []string // distinct data sources, in field order
	var join []string    // the two sides of the first field with references
	joinField := ""
	images := false
	for _, f := range fields {
		fid := str(f["@id"])
		src, ok := parseRef(f["source"])
		if !ok {
			c.add("field %q has no source", fid)
			continue
		}
		if why := c.resolve(src); why != "" {
			c.add("field %q cannot be read: %s", fid, why)
			continue
		}
		sources = appendNew(sources, c.node(src))
		if str(f["dataType"]) == "sc:ImageObject" && src.kind == "fileSet" && src.property == "content" {
			images = true
		}
		if f["references"] == nil {
			continue
		}
		to, ok := parseRef(f["references"])
		if !ok {
			c.add("field %q: references is not an object", fid)
			continue
		}
		if why := c.resolve(to); why != "" {
			c.add("field %q: its references cannot be read: %s", fid, why)
			continue
		}
		if to.kind == "field" {
			c.checkEnumeration(fid, src, to)
		}
		if join == nil {
			// Readers join a record set's sources by its first field with references only.
			join, joinField = []string{c.node(src), c.node(to)}, fid
			sources = appendNew(sources, c.node(to))
			c.checkPairs(fid, src, to)
		}
	}
	if len(sources) > 1 {
		switch {
		case join == nil:
			c.add("record set %q draws from %s but declares no join: give the field that pairs them references", id, quoteSome(sources))
		case len(sources) > 2:
			c.add("record set %q draws from %d sources (%s); readers join only the two that its first field with references (%q) pairs", id, len(sources), quoteSome(sources), joinField)
		}
	}
	return images
}

func appendNew(s []string, v string) []string {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

// checkEnumeration checks that every value of an index column a field reads is one of the
// values of the enumeration it references.
func (c *loadCheck) checkEnumeration(fid string, src, to ref) {
	rs := c.fieldSet[to.id]
	if str(rs["dataType"]) != "sc:Enumeration" {
		return
	}
	allowed := map[string]bool{}
	for _, rec := range list(rs["data"]) {
		if s, ok := rec[to.id].(string); ok {
			allowed[s] = true
		}
	}
	d := c.dist[src.id]
	if src.kind != "fileObject" || str(d["contentUrl"]) != FileIndex || c.rows == nil {
		return
	}
	var bad []string
	for _, r := range c.rows {
		if v := indexValue(r, src.column); !allowed[v] && !slices.Contains(bad, v) {
			bad = append(bad, v)
		}
	}
	if len(bad) > 0 {
		c.add("field %q: values %s of %s are not in the enumeration %q", fid, quoteSome(bad), FileIndex, str(rs["@id"]))
	}
}

// checkPairs checks a join of a file set with an index.csv column: every file the file set
// includes gives, after its transform, the value of exactly one row, and every row with a value
// is given by exactly one file.
func (c *loadCheck) checkPairs(fid string, src, to ref) {
	if src.kind != "fileSet" || to.kind != "fileObject" || str(c.dist[to.id]["contentUrl"]) != FileIndex || c.rows == nil {
		return
	}
	set := c.dist[src.id]
	var includes []*regexp.Regexp
	for _, inc := range listOfStrings(set["includes"]) {
		includes = append(includes, fnmatchRegexp(inc))
	}
	if len(includes) == 0 {
		c.add("file set %q has no includes: it holds no files", src.id)
		return
	}
	var re *regexp.Regexp
	if src.regex != "" {
		re, _ = regexp.Compile(src.regex)
	}
	rowsByValue := map[string][]string{}
	for _, r := range c.rows {
		if v := indexValue(r, to.column); v != "" {
			rowsByValue[v] = append(rowsByValue[v], r.ID)
		}
	}
	given := map[string]int{}
	var unmatched, ambiguous []string
	for _, p := range c.payload {
		if !slices.ContainsFunc(includes, func(x *regexp.Regexp) bool { return x.MatchString(p) }) {
			continue
		}
		v := fileValue(p, src.property)
		if re != nil {
			if m := re.FindStringSubmatch(v); m != nil {
				for _, g := range m[1:] {
					if g != "" {
						v = g
						break
					}
				}
			}
		}
		given[v]++
		switch n := len(rowsByValue[v]); {
		case n == 0:
			unmatched = append(unmatched, p)
		case n > 1:
			ambiguous = append(ambiguous, p)
		}
	}
	if len(unmatched) > 0 {
		c.add("field %q: %s of file set %q match no row of %s by column %q", fid, quoteSome(unmatched), src.id, FileIndex, to.column)
	}
	if len(ambiguous) > 0 {
		c.add("field %q: %s of file set %q match more than one row of %s", fid, quoteSome(ambiguous), src.id, FileIndex)
	}
	var orphans, doubled []string
	for _, r := range c.rows {
		v := indexValue(r, to.column)
		if v == "" {
			continue
		}
		switch given[v] {
		case 0:
			orphans = append(orphans, r.ID)
		case 1:
		default:
			doubled = append(doubled, r.ID)
		}
	}
	if len(orphans) > 0 {
		c.add("field %q: rows %s of %s are matched by no file of file set %q, so they do not load", fid, quoteSome(orphans), FileIndex, src.id)
	}
	if len(doubled) > 0 {
		c.add("field %q: rows %s of %s are matched by more than one file of file set %q", fid, quoteSome(doubled), FileIndex, src.id)
	}
}

// fileValue is what extract.fileProperty gives for the bundle path p, as mlcroissant gives it for
// a local file set (fullpath and filepath relative to the bundle, as far as a bundle can say).
func fileValue(p, property string) string {
	if property == "filename" {
		return p[strings.LastIndexByte(p, '/')+1:]
	}
	return p
}

// indexValue is the value of column col of an index row, as written in data/index.csv.
func indexValue(r indexRow, col string) string {
	switch col {
	case "id":
		return r.ID
	case "class":
		return r.Class
	case "file":
		return r.File
	case "sha256":
		return r.SHA256
	case "generator":
		return r.Generator
	case "dicom":
		return r.DICOM
	case "dicom_sha256":
		return r.DICOMSHA256
	}
	return ""
}

// fnmatchRegexp translates a glob as Python's fnmatch does (mlcroissant matches includes with
// it): * and ? also match '/', [...] is a character class.
func fnmatchRegexp(glob string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(glob); i++ {
		switch ch := glob[i]; ch {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		case '[':
			j := strings.IndexByte(glob[i+1:], ']')
			if j < 0 {
				b.WriteString(`\[`)
				continue
			}
			class := glob[i+1 : i+1+j]
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			b.WriteString("[" + strings.ReplaceAll(class, `\`, `\\`) + "]")
			i += j + 1
		default:
			b.WriteString(regexp.QuoteMeta(string(ch)))
		}
	}
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		return regexp.MustCompile(`^` + regexp.QuoteMeta(glob) + `$`)
	}
	return re
}

func quoteSome(s []string) string {
	var q []string
	for i, v := range s {
		if i == maxLoadDetails {
			q = append(q, fmt.Sprintf("and %d more", len(s)-maxLoadDetails))
			break
		}
		q = append(q, fmt.Sprintf("%q", printable(v)))
	}
	return strings.Join(q, ", ")
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// list returns the objects of a JSON array (or of a single object).
func list(v any) []map[string]any {
	return listOrOne(v)
}

func listOrOne(v any) []map[string]any {
	switch x := v.(type) {
	case map[string]any:
		return []map[string]any{x}
	case []any:
		var out []map[string]any
		for _, e := range x {
			if m, ok := e.(map[string]any); ok {
				out = append(out, m)
			}
		}
		return out
	}
	return nil
}

func listOfStrings(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
