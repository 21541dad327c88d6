package train

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecodeCheckpoint: any bytes either decode into a checkpoint whose tensors match their shapes,
// or fail with ErrBadCheckpoint; nothing panics or allocates without bound.
func FuzzDecodeCheckpoint(f *testing.F) {
	dir := f.TempDir()
	p := filepath.Join(dir, "seed.ckpt")
	c := &Checkpoint{Kind: "dcgan", Meta: json.RawMessage(`{"epoch":1}`), Tensors: []Tensor{{Name: "w", Shape: []int{2, 2}, Data: []float32{1, -2, 3.5, 0}}}}
	if _, err := WriteCheckpoint(p, c); err != nil {
		f.Fatal(err)
	}
	f.Add(mustRead(f, p))
	f.Add([]byte(checkpointMagic + "\x05\x00\x00\x00{}"))
	f.Add([]byte(checkpointMagic + "\xff\xff\xff\x7f"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, _, err := DecodeCheckpoint(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			if !errors.Is(err, ErrBadCheckpoint) {
				t.Fatalf("error does not wrap ErrBadCheckpoint: %v", err)
			}
			return
		}
		for _, tn := range c.Tensors {
			n := 1
			for _, d := range tn.Shape {
				n *= d
			}
			if n != len(tn.Data) {
				t.Fatalf("tensor %s: %d values for shape %v", tn.Name, len(tn.Data), tn.Shape)
			}
		}
	})
}

func mustRead(f *testing.F, p string) []byte {
	b, err := readFileBytes(p)
	if err != nil {
		f.Fatal(err)
	}
	return b
}

func readFileBytes(p string) ([]byte, error) { return os.ReadFile(p) }
