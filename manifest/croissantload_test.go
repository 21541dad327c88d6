package manifest

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/raysynth/raysynth/internal/bundletest"
)

// The @context Build writes is the one mlcroissant 1.1.0 writes and checks for a 1.1 document.
// testdata/croissant-1.1-context.json is that library's own output, made with mlcroissant's
// python/mlcroissant at tag v1.1.0 (commit a43c7fde73644758298f10e87ac0f9bc0649baf9):
//
//	from mlcroissant._src.core.context import Context, CroissantVersion
//	from mlcroissant._src.core.rdf import make_context
//	c = Context(); c.conforms_to = CroissantVersion.V_1_1
//	print(json.dumps(make_context(c), sort_keys=True, indent=2))
func TestCroissantContextIsMLCroissants(t *testing.T) {
	want, err := os.ReadFile("testdata/croissant-1.1-context.json")
	if err != nil {
		t.Fatal(err)
	}
	var w map[string]any
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if !jsonEqual(croissantContext(), w) {
		got, _ := json.MarshalIndent(croissantContext(), "", "  ")
		t.Fatalf("croissantContext() differs from mlcroissant's:\n%s\nwant\n%s", got, want)
	}
	out, _ := buildBundle(t, 4)
	doc := readCroissant(t, out)
	if !jsonEqual(doc["@context"], w) {
		t.Error("croissant.json's @context differs from mlcroissant's")
	}
}

func readCroissant(t *testing.T, dir string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, FileCroissant))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// loadInputs reads what Verify hands the load check: the index and the payload paths.
func loadInputs(t *testing.T, dir string) ([]indexRow, []string) {
	t.Helper()
	idx, err := os.ReadFile(filepath.Join(dir, FileIndex))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := parseIndex(idx)
	if err != nil {
		t.Fatal(err)
	}
	m, err := os.ReadFile(filepath.Join(dir, FileManifest))
	if err != nil {
		t.Fatal(err)
	}
	entries, err := ParseManifest(m)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, e := range entries {
		paths = append(paths, e.Path)
	}
	return rows, paths
}

func recordSetByID(doc map[string]any, id string) map[string]any {
	for _, rs := range list(doc["recordSet"]) {
		if rs["@id"] == id {
			return rs
		}
	}
	return nil
}

func fieldByID(doc map[string]any, id string) map[string]any {
	for _, rs := range list(doc["recordSet"]) {
		for _, f := range list(rs["field"]) {
			if f["@id"] == id {
				return f
			}
		}
	}
	return nil
}

// TestCroissantLoadRules: a bundle as Build writes it (PNG and DICOM copies) passes every rule,
// and each way a croissant.json can fail to load in mlcroissant is named.
func TestCroissantLoadRules(t *testing.T) {
	s := testSigner(t)
	f := newFixture(t, 6)
	for i := range f.images[:4] {
		p := strings.TrimSuffix(f.images[i].PNG, ".png") + ".dcm"
		os.WriteFile(p, append(make([]byte, 128), []byte("DICM synthetic")...), 0o644)
		f.images[i].DICOM = p
	}
	out := filepath.Join(t.TempDir(), "b")
	if _, err := Build(context.Background(), f.config(s, out)); err != nil {
		t.Fatal(err)
	}
	rows, payload := loadInputs(t, out)
	check := func(doc map[string]any, rows []indexRow, payload []string) []string {
		data, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		return croissantLoadProblems(data, indexHeader, rows, payload)
	}
	if p := check(readCroissant(t, out), rows, payload); len(p) != 0 {
		t.Fatalf("a fresh bundle would not load: %q", p)
	}
	// The record sets a researcher needs are there: images with every per-image field, the
	// classes as an enumeration, and the DICOM copies.
	doc := readCroissant(t, out)
	for _, id := range []string{"images/image", "images/id", "images/class", "images/sha256", "images/size", "images/generator", "images/seed", "images/sample", "dicom/pixels", "dicom/id", "dicom/class"} {
		if fieldByID(doc, id) == nil {
			t.Errorf("no field %s", id)
		}
	}
	if got := recordSetByID(doc, "classes")["data"]; !jsonEqual(got, []any{map[string]any{"classes/name": "effusion"}, map[string]any{"classes/name": "normal"}}) {
		t.Errorf("classes data %v", got)
	}

	// The card says how to open the DICOM copies, naming one that is there.
	card, _ := os.ReadFile(filepath.Join(out, FileReadme))
	if want := `dcm = pydicom.dcmread("data/images/effusion/s-00001.dcm")`; !bytes.Contains(card, []byte(want)) {
		t.Errorf("card lacks %s", want)
	}
	if _, err := os.Stat(filepath.Join(out, "data/images/effusion/s-00001.dcm")); err != nil {
		t.Error(err)
	}

	tests := []struct {
		name   string
		mutate func(doc map[string]any, rows []indexRow, payload []string) ([]indexRow, []string)
		want   string
	}{
		{"context of Croissant 1.0", func(doc map[string]any, r []indexRow, p []string) ([]indexRow, []string) {
			ctx := doc["@context"].(map[string]any)
			delete(ctx, "samplingRate")
			delete(ctx, "equivalentProperty")
			ctx["@vocab"] = "http://schema.org/"
			return r, p
		}, "the @context is not Croissant 1.1's: it lacks equivalentProperty, samplingRate; defines @vocab differently"},
		{"no join", func(doc map[string]any, r []indexRow, p []string) ([]indexRow, []string) {
			delete(fieldByID(doc, "images/file"), "references")
			delete(fieldByID(doc, "images/class"), "references")
			return r, p
		}, `record set "images" draws from "image-files", "data/index.csv" but declares no join`},
		{"join after the enumeration reference", func(doc map[string]any, r []indexRow, p []string) ([]indexRow, []string) {
			rs := recordSetByID(doc, "images")
			fs := rs["field"].([]any)
			slices.Reverse(fs)
			return r, p
		}, `readers join only the two that its first field with references ("images/class") pairs`},
		{"column not in the index", func(doc map[string]any, r []indexRow, p []string) ([]indexRow, []string) {
			fieldByID(doc, "images/seed")["source"].(map[string]any)["extract"] = map[string]any{"column": "random_seed"}
			return r, p
		}, `field "images/seed" cannot be read: column "random_seed" is not in data/index.csv`},
		{"source not in the distribution", func(doc map[string]any, r []indexRow, p []string) ([]indexRow, []string) {
			fieldByID(doc, "images/image")["source"].(map[string]any)["fileSet"] = map[string]any{"@id": "png-files"}
			return r, p
		}, `field "images/image" cannot be read: its fileSet "png-files" is not a cr:FileSet of the distribution`},
		{"unknown file property", func(doc map[string]any, r []indexRow, p []string) ([]indexRow, []string) {
			fieldByID(doc, "images/image")["source"].(map[string]any)["extract"] = map[string]any{"fileProperty": "bytes"}
			return r, p
		}, `fileProperty "bytes" is not one of`},
		{"reference to a missing field", func(doc map[string]any, r []indexRow, p []string) ([]indexRow, []string) {
			fieldByID(doc, "images/class")["references"] = map[string]any{"field": map[string]any{"@id": "labels/name"}}
			return r, p
		}, `field "images/class": its references cannot be read: field "labels/name" does not exist`},
		{"class not in the enumeration", func(doc map[string]any, r []indexRow, p []string) ([]indexRow, []string) {
			recordSetByID(doc, "classes")["data"] = []any{map[string]any{"classes/name": "normal"}}
			return r, p
		}, `field "images/class": values "effusion" of data/index.csv are not in the enumeration "classes"`},
		{"regex that loses the path", func(doc map[string]any, r []indexRow, p []string) ([]indexRow, []string) {
			fieldByID(doc, "images/file")["source"].(map[string]any)["transform"] = map[string]any{"regex": `^.*/([^/]+)\.png$`}
			return r, p
		}, `match no row of data/index.csv by column "file"`},
		{"a file without a row", func(doc map[string]any, r []indexRow, p []string) ([]indexRow, []string) {
			return r, append(slices.Clone(p), "data/images/normal/s-99999.png")
		}, `"data/images/normal/s-99999.png" of file set "image-files" match no row`},
		{"a row without a file", func(doc map[string]any, r []indexRow, p []string) ([]indexRow, []string) {
			return r, slices.DeleteFunc(slices.Clone(p), func(s string) bool { return s == "data/images/normal/s-00000.png" })
		}, `field "images/file": rows "s-00000" of data/index.csv are matched by no file of file set "image-files"`},
		{"a DICOM row without a file", func(doc map[string]any, r []indexRow, p []string) ([]indexRow, []string) {
			return r, slices.DeleteFunc(slices.Clone(p), func(s string) bool { return s == "data/images/effusion/s-00001.dcm" })
		}, `field "dicom/file": rows "s-00001" of data/index.csv are matched by no file of file set "dicom-files"`},
		{"two rows for one file", func(doc map[string]any, r []indexRow, p []string) ([]indexRow, []string) {
			r = slices.Clone(r)
			r[1].File = r[0].File
			return r, p
		}, `of file set "image-files" match more than one row`},
		{"no image field", func(doc map[string]any, r []indexRow, p []string) ([]indexRow, []string) {
			fieldByID(doc, "images/image")["dataType"] = "sc:Text"
			return r, p
		}, "no record set yields the images"},
		{"inline data names another field", func(doc map[string]any, r []indexRow, p []string) ([]indexRow, []string) {
			recordSetByID(doc, "classes")["data"] = []any{map[string]any{"classes/label": "normal"}}
			return r, p
		}, `record set "classes": inline data names "classes/label"`},
		{"key not a field", func(doc map[string]any, r []indexRow, p []string) ([]indexRow, []string) {
			recordSetByID(doc, "images")["key"] = map[string]any{"@id": "images/uuid"}
			return r, p
		}, `record set "images": its key "images/uuid" is not one of its fields`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := readCroissant(t, out)
			r, p := tc.mutate(doc, rows, payload)
			got := check(doc, r, p)
			if !slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, tc.want) }) {
				t.Errorf("problems %q\nwant one containing %q", got, tc.want)
			}
		})
	}
}

// TestVerifyWarnsCroissantWouldNotLoad: Verify reports a croissant.json that would not load as a
// warning, not a failure (the data are intact and signed): here a bundle whose signed
// croissant.json lacks the join, as raysynth bundle wrote them before the join was declared.
func TestVerifyWarnsCroissantWouldNotLoad(t *testing.T) {
	out, s := buildBundle(t, 4)
	res, err := Verify(context.Background(), DirSource(out), VerifyOptions{Keys: []*PublicKey{s.Public()}})
	if err != nil || len(res.Warnings) != 0 {
		t.Fatalf("fresh bundle: %v, warnings %v", err, res.Warnings)
	}
	// Re-sign a bundle whose croissant.json declares no join: the signature is good, the
	// Croissant would not load.
	dir := copyTree(t, out)
	doc := readCroissant(t, dir)
	delete(fieldByID(doc, "images/file"), "references")
	delete(fieldByID(doc, "images/class"), "references")
	cj, err := marshalCanonical(doc)
	if err != nil {
		t.Fatal(err)
	}
	resignAll(t, dir, s, map[string][]byte{FileCroissant: cj})
	res, err = Verify(context.Background(), DirSource(dir), VerifyOptions{Keys: []*PublicKey{s.Public()}})
	if err != nil {
		t.Fatalf("%v %v", err, res.Problems)
	}
	if len(res.Warnings) != 1 || res.Warnings[0].Kind != KindCroissantLoad || !strings.Contains(res.Warnings[0].Detail, "declares no join") {
		t.Fatalf("warnings %v", res.Warnings)
	}
}

// resignAll replaces tag files of a bundle, then signs its tag manifest and its provenance
// statement (which names their hashes) again with s.
func resignAll(t *testing.T, dir string, s *Signer, files map[string][]byte) {
	t.Helper()
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	resign(t, dir, s)
	var st statement
	prov, _ := os.ReadFile(filepath.Join(dir, FileProvenance))
	if err := json.Unmarshal(prov, &st); err != nil {
		t.Fatal(err)
	}
	for i, sub := range st.Subject {
		if data, err := os.ReadFile(filepath.Join(dir, sub.Name)); err == nil {
			st.Subject[i].Digest.SHA256 = bundletest.SHA256(data)
		}
	}
	pj, err := marshalCanonical(st)
	if err != nil {
		t.Fatal(err)
	}
	psig, err := s.signDSSEBundle(pj)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, FileProvenance), pj, 0o644)
	os.WriteFile(filepath.Join(dir, FileProvenanceSig), psig, 0o644)
}
