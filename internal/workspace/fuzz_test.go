package workspace

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzReadIndexes reads fuzzed real/index.csv, approved/index.csv and workspace.json. What
// reads without error writes back and reads again to the same rows.
func FuzzReadIndexes(f *testing.F) {
	f.Add([]byte("id,patient,class,split,sha256,source_kind\nr-1,p-1,normal,train,ab,png\n"),
		[]byte("id,class,file,sha256,generator,seed,sample,dicom\ns-1,normal,candidates/normal/s-1.png,ab,cd,42,0,\n"),
		[]byte(`{"format":1,"image_size":64,"classes":["normal"],"seed":7}`))
	f.Add([]byte("id,patient,class,split,sha256,source_kind\n\"r-\n1\",p,\"a\"\"b\",x,y,z\n"),
		[]byte("id,class,file,sha256,generator,seed,sample,dicom\ns,c,f,h,g,-1,99999999999999999999,d\n"),
		[]byte(`{"format":99}`))
	f.Fuzz(func(t *testing.T, real, synth, meta []byte) {
		dir := t.TempDir()
		w, err := Init(dir)
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Join(dir, "real"), 0o755)
		os.MkdirAll(filepath.Join(dir, "approved"), 0o755)
		os.WriteFile(w.RealIndexPath(), real, 0o644)
		os.WriteFile(w.ApprovedIndexPath(), synth, 0o644)
		os.WriteFile(filepath.Join(dir, "workspace.json"), meta, 0o644)
		w.LoadMeta()
		if rows, err := w.ReadRealIndex(); err == nil {
			if err := w.WriteRealIndex(rows); err != nil {
				t.Fatal(err)
			}
			again, err := w.ReadRealIndex()
			if err != nil || len(again) != len(rows) {
				t.Fatalf("real index round trip: %d rows, then %d: %v", len(rows), len(again), err)
			}
		}
		if rows, err := ReadSynthIndex(w.ApprovedIndexPath()); err == nil {
			if err := WriteSynthIndex(w.ApprovedIndexPath(), rows); err != nil {
				t.Fatal(err)
			}
			again, err := ReadSynthIndex(w.ApprovedIndexPath())
			if err != nil || len(again) != len(rows) {
				t.Fatalf("synth index round trip: %d rows, then %d: %v", len(rows), len(again), err)
			}
			if len(rows) == 1 && !reflect.DeepEqual(rows, again) {
				t.Fatalf("synth index round trip: %+v, then %+v", rows, again)
			}
		}
	})
}
