package train

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/raysynth/raysynth/internal/fsutil"
)

// checkpointMagic starts every checkpoint file; the format version follows it.
const checkpointMagic = "RAYSYNTH-CHECKPOINT 1\n"

// maxHeader bounds the JSON header a reader accepts.
const maxHeader = 16 << 20

// ErrBadCheckpoint is returned for a file that is not a readable checkpoint.
var ErrBadCheckpoint = errors.New("not a valid raysynth checkpoint")

// Tensor is one named float32 array of a checkpoint.
type Tensor struct {
	Name  string    `json:"name"`
	Shape []int     `json:"shape"`
	Data  []float32 `json:"-"`
}

// Checkpoint is what a checkpoint file holds: a kind ("dcgan", "classifier", …), free-form
// metadata (hyperparameters, epoch, RNG state…) and tensors. The file is the magic line, a
// little-endian uint32 header length, the JSON header, then every tensor's float32 values
// (little-endian) in header order.
type Checkpoint struct {
	Kind    string          `json:"kind"`
	Meta    json.RawMessage `json:"meta"`
	Tensors []Tensor        `json:"tensors"`
}

// WriteCheckpoint writes c to path atomically (temporary file, fsync, rename) and returns the hex
// sha256 of the file.
func WriteCheckpoint(path string, c *Checkpoint) (string, error) {
	head, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("encode checkpoint %s: %w", path, err)
	}
	f, err := fsutil.Create(path, 0o644)
	if err != nil {
		return "", err
	}
	defer f.Abort()
	h := sha256.New()
	w := bufio.NewWriterSize(io.MultiWriter(f, h), 1<<20)
	w.WriteString(checkpointMagic)
	binary.Write(w, binary.LittleEndian, uint32(len(head)))
	w.Write(head)
	var buf [4]byte
	for _, t := range c.Tensors {
		n := 1
		for _, d := range t.Shape {
			n *= d
		}
		if n != len(t.Data) {
			return "", fmt.Errorf("write checkpoint %s: tensor %s has %d values for shape %v", path, t.Name, len(t.Data), t.Shape)
		}
		for _, v := range t.Data {
			binary.LittleEndian.PutUint32(buf[:], math.Float32bits(v))
			w.Write(buf[:])
		}
	}
	if err := w.Flush(); err != nil {
		return "", fmt.Errorf("write checkpoint %s: %w", path, err)
	}
	if err := f.Commit(); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ReadCheckpoint reads a checkpoint file and returns it with the hex sha256 of the file.
func ReadCheckpoint(path string) (*Checkpoint, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", fmt.Errorf("read checkpoint %s: %w", path, err)
	}
	defer f.Close()
	size := int64(-1)
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	c, sum, err := DecodeCheckpoint(f, size)
	if err != nil {
		return nil, "", fmt.Errorf("read checkpoint %s: %w", path, err)
	}
	return c, sum, nil
}

// DecodeCheckpoint parses a checkpoint of size bytes (-1: unknown) from r and returns it with the
// hex sha256 of the bytes read. Damaged input gives an error wrapping [ErrBadCheckpoint]; sizes
// are checked before anything is allocated.
func DecodeCheckpoint(in io.Reader, size int64) (*Checkpoint, string, error) {
	h := sha256.New()
	r := bufio.NewReaderSize(io.TeeReader(in, h), 1<<20)
	bad := func(what string) error { return fmt.Errorf("%s: %w", what, ErrBadCheckpoint) }
	magic := make([]byte, len(checkpointMagic))
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != checkpointMagic {
		return nil, "", bad("wrong magic")
	}
	var n uint32
	if err := binary.Read(r, binary.LittleEndian, &n); err != nil || n > maxHeader || (size >= 0 && int64(n) > size) {
		return nil, "", bad("bad header length")
	}
	head := make([]byte, n)
	if _, err := io.ReadFull(r, head); err != nil {
		return nil, "", bad("short header")
	}
	var c Checkpoint
	if err := json.Unmarshal(head, &c); err != nil {
		return nil, "", bad("header: " + err.Error())
	}
	remaining := int64(-1)
	if size >= 0 {
		remaining = size - int64(len(checkpointMagic)) - 4 - int64(n)
	}
	var total int64
	for i := range c.Tensors {
		t := &c.Tensors[i]
		cnt := int64(1)
		for _, d := range t.Shape {
			if d < 0 || d > 1<<30 || cnt*int64(d) > 1<<31 {
				return nil, "", bad("bad shape")
			}
			cnt *= int64(d)
		}
		total += cnt * 4
		if (remaining >= 0 && total > remaining) || total > 8<<30 {
			return nil, "", bad("truncated tensors")
		}
		t.Data = make([]float32, cnt)
		buf := make([]byte, 4*cnt)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, "", bad("truncated tensor " + t.Name)
		}
		for j := range t.Data {
			t.Data[j] = math.Float32frombits(binary.LittleEndian.Uint32(buf[4*j:]))
		}
	}
	if _, err := r.ReadByte(); err != io.EOF {
		return nil, "", bad("trailing data")
	}
	return &c, hex.EncodeToString(h.Sum(nil)), nil
}

// tensorMap indexes a checkpoint's tensors by name.
func (c *Checkpoint) tensorMap() map[string]Tensor {
	m := make(map[string]Tensor, len(c.Tensors))
	for _, t := range c.Tensors {
		m[t.Name] = t
	}
	return m
}
