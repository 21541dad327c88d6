package ingest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/raysynth/raysynth/internal/dicomio/dicomtest"
	"github.com/raysynth/raysynth/internal/imageio/pngtest"
	"github.com/raysynth/raysynth/internal/workspace"
)

// Hostile files (issue 15) are rejected as too_large or unreadable with their reason, next to
// real films that are accepted, and the rejections are journalled: a second run reads them from
// the journal instead of decoding them again.
func TestHostileFilesRejectedAndJournalled(t *testing.T) {
	head := dicomtest.Build("1.2.840.10008.1.2.1", false, false, []dicomtest.El{dicomtest.Str(0x0008, 0x0060, "CS", "DX")}, nil)
	px := []uint16{1, 2, 3, 4}
	huge := dicomtest.ImageElems(2, 2, "MONOCHROME2", 12, px)
	huge[3] = dicomtest.US(0x0028, 0x0010, 16000)
	huge[4] = dicomtest.US(0x0028, 0x0011, 16000)
	files := map[string][]byte{
		"good1.png":       film(t, 80, 80, 1),
		"good2.dcm":       dicomFilm("DX", "1.2.840.10008.1.2.1", nil),
		"nested.dcm":      dicomtest.NestedSequences(5000),
		"claims4gb.dcm":   append(head, dicomtest.Header(0x0010, 0x4000, "UT", 0xFFFFFFF0)...),
		"film16000.dcm":   dicomtest.Build("1.2.840.10008.1.2.1", false, false, huge, nil),
		"gray6000.png":    pngtest.Zero(6000, 6000, 0, 8, 1),
		"rgba16_4096.png": pngtest.Zero(4096, 4096, 6, 16, 8),
	}
	want := map[string]struct{ reason, detail string }{
		"nested.dcm":      {ReasonUnreadable, "nested more than 32 levels deep"},
		"claims4gb.dcm":   {ReasonUnreadable, "claims 4294967280 bytes"},
		"film16000.dcm":   {ReasonTooLarge, "MB per file"},
		"gray6000.png":    {ReasonTooLarge, "6000x6000"},
		"rgba16_4096.png": {ReasonTooLarge, "4096x4096"},
	}
	src := writeFolder(t, t.TempDir(), files)
	ws := t.TempDir()
	rep := mustRun(t, baseConfig(src, ws))
	if rep.Files.Accepted != 2 || rep.Rejections[ReasonTooLarge] != 3 || rep.Rejections[ReasonUnreadable] != 2 {
		t.Fatalf("accepted %d, rejections %v", rep.Files.Accepted, rep.Rejections)
	}
	w := &workspace.Workspace{Dir: ws}
	cache, err := readCache(w.IngestCachePath())
	if err != nil {
		t.Fatal(err)
	}
	for name, wt := range want {
		e := cache[filepath.Join(src, name)]
		if e == nil || e.Reason != wt.reason || !strings.Contains(e.Detail, wt.detail) {
			t.Errorf("%s: journal entry %+v, want %s mentioning %q", name, e, wt.reason, wt.detail)
		}
	}
	before, _ := os.ReadFile(w.IngestCachePath())
	rep2 := mustRun(t, baseConfig(src, ws))
	after, _ := os.ReadFile(w.IngestCachePath())
	if !bytes.Equal(before, after) {
		t.Errorf("the second run decoded again: the journal grew from %d to %d bytes", len(before), len(after))
	}
	if rep2.Rejections[ReasonTooLarge] != 3 || rep2.Rejections[ReasonUnreadable] != 2 || rep2.Files.Resumed != 2 {
		t.Errorf("second run: rejections %v, resumed %d", rep2.Rejections, rep2.Files.Resumed)
	}
}

// FuzzReadJournal reads a fuzzed private/ingest-cache.jsonl and private/source-map.csv the way
// a resumed ingest does: no panic; entries have a path; a source map that reads writes back
// the same.
func FuzzReadJournal(f *testing.F) {
	f.Add([]byte(`{"path":"/x/a.png","size":10,"mtime_ns":1,"out_size":64,"aspect":"crop","id":"r-1","kind":"png","sha256":"ab"}
{"path":"/x/b.dcm","size":5,"reason":"too_large","detail":"DICOM: image over the memory budget"}
{"path":"/x/c.png","si`), []byte("id,patient,class,split,source_kind,sha256,pixel_sha256,indexed,source_path,source_patient\nr-1,p-1,normal,train,png,ab,cd,yes,/x/a.png,label:1\n"))
	f.Add([]byte("{}\n\n{\"path\":\"\"}\n"+strings.Repeat("x", 70000)), []byte("id\n"))
	f.Add([]byte(`{"path":"/a","size":-1,"mtime_ns":9223372036854775807}`), []byte("id,patient,class,split,source_kind,sha256,pixel_sha256,indexed,source_path,source_patient\n\"r\n1\",p,c,s,k,h,x,no,\"/a,b\",\"\x00\"\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, journal, sourceMap []byte) {
		jp, sp := filepath.Join(dir, "cache.jsonl"), filepath.Join(dir, "source-map.csv")
		os.WriteFile(jp, journal, 0o600)
		os.WriteFile(sp, sourceMap, 0o600)
		if cache, err := readCache(jp); err == nil {
			for k, e := range cache {
				if k == "" || e.Path != k {
					t.Fatalf("entry %q: %+v", k, e)
				}
			}
		}
		recs, err := readSourceMap(sp)
		if err != nil {
			return
		}
		if err := writeSourceMap(sp, recs); err != nil {
			t.Fatal(err)
		}
		again, err := readSourceMap(sp)
		if err != nil || len(again) != len(recs) {
			t.Fatalf("source map round trip: %d records, then %d: %v", len(recs), len(again), err)
		}
	})
}

// A DICOM file during whose decode the process died (out of memory, a crash in a C decoder, a
// kill) is known from the journal: its "decoding" line is the last for it. The next run decodes
// it again, alone; a file during whose decode two runs died is rejected as unreadable with that
// reason and journalled, so later runs skip it without decoding.
func TestDecodeDeathsJournalled(t *testing.T) {
	src := t.TempDir()
	writeFolder(t, src, map[string][]byte{"a.png": film(t, 80, 80, 1)})
	ws := t.TempDir()
	mustRun(t, baseConfig(src, ws))
	w := &workspace.Workspace{Dir: ws}
	cache, err := readCache(w.IngestCachePath())
	if err != nil {
		t.Fatal(err)
	}
	done := cache[filepath.Join(src, "a.png")]
	if done == nil || done.Decoding != 0 {
		t.Fatalf("journal entry of a.png: %+v", done)
	}
	// What two runs that died leave: once while decoding once.dcm, twice while decoding twice.dcm
	// (the decoder writes its line before it runs).
	writeFolder(t, src, map[string][]byte{"once.dcm": dicomFilm("DX", "1.2.840.10008.1.2.1", nil), "twice.dcm": dicomFilm("CR", "1.2.840.10008.1.2.1", nil)})
	jr, err := openJournal(w.IngestCachePath())
	if err != nil {
		t.Fatal(err)
	}
	for name, died := range map[string]int{"once.dcm": 1, "twice.dcm": 2} {
		path := filepath.Join(src, name)
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		jr.add(&cacheEntry{Path: path, Size: st.Size(), ModTime: st.ModTime().UnixNano(), Out: done.Out, Aspect: done.Aspect, Decoding: died})
	}
	jr.close()

	rep := mustRun(t, baseConfig(src, ws))
	if rep.Files.Accepted != 2 || rep.Rejections[ReasonUnreadable] != 1 {
		t.Fatalf("accepted %d, rejections %v; want a.png and once.dcm, twice.dcm unreadable", rep.Files.Accepted, rep.Rejections)
	}
	cache, err = readCache(w.IngestCachePath())
	if err != nil {
		t.Fatal(err)
	}
	if e := cache[filepath.Join(src, "once.dcm")]; e == nil || e.ID == "" || e.Decoding != 0 {
		t.Fatalf("once.dcm: journal entry %+v, want decoded", e)
	}
	if e := cache[filepath.Join(src, "twice.dcm")]; e == nil || e.Reason != ReasonUnreadable || !strings.Contains(e.Detail, "died 2 times while decoding") {
		t.Fatalf("twice.dcm: journal entry %+v, want unreadable naming the deaths", e)
	}
	before, _ := os.ReadFile(w.IngestCachePath())
	rep = mustRun(t, baseConfig(src, ws))
	after, _ := os.ReadFile(w.IngestCachePath())
	if !bytes.Equal(before, after) || rep.Rejections[ReasonUnreadable] != 1 || rep.Files.Resumed != 2 {
		t.Fatalf("third run: journal %d -> %d bytes, rejections %v, resumed %d", len(before), len(after), rep.Rejections, rep.Files.Resumed)
	}
}
