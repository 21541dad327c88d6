package train

import (
	"bufio"
	"fmt"
	"image"
	"os"
	"slices"
	"sync"
)

// filmFile holds a training set's films as 8-bit pixels in an unlinked temporary file, in the
// order they were added. Training reads the films of one batch at a time (pread, through the
// page cache) and converts them to float32 then, so that its memory does not grow with the
// number of films (issue 20): 100,000 films of 64×64 are 410 MB on disk and none in the
// process. The file is removed from its folder as soon as it is made, so a crash leaves nothing
// behind; its space is freed when it is closed or, for sets handed out as [Example] values, when
// no example refers to it any more (os.File's cleanup closes it).
//
// The conversion is the one [imageio.ToFloat] makes, so a film read back is bit for bit the
// float32 image the loaders used to hold in memory.
type filmFile struct {
	f    *os.File
	w    *bufio.Writer // nil once sealed
	pix  int
	n    int
	bufs sync.Pool // *[]byte of pix bytes
}

// newFilmFile makes an empty film file of pix pixels per film in dir.
func newFilmFile(dir string, pix int) (*filmFile, error) {
	f, err := os.CreateTemp(dir, ".films-*.tmp")
	if err != nil {
		return nil, fmt.Errorf("temporary file for the training films: %w", err)
	}
	os.Remove(f.Name()) // the open file stays readable; nothing is left to clean up
	s := &filmFile{f: f, w: bufio.NewWriterSize(f, 1<<20), pix: pix}
	s.bufs.New = func() any { b := make([]byte, pix); return &b }
	return s, nil
}

// add appends a film (pix pixels).
func (s *filmFile) add(img *image.Gray) error {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if w*h != s.pix {
		return fmt.Errorf("film of %d×%d pixels in a set of %d-pixel films", w, h, s.pix)
	}
	for y := range h {
		if _, err := s.w.Write(img.Pix[y*img.Stride : y*img.Stride+w]); err != nil {
			return fmt.Errorf("write the training films' temporary file: %w", err)
		}
	}
	s.n++
	return nil
}

// seal flushes the films added so far; reads need it.
func (s *filmFile) seal() error {
	if s.w == nil {
		return nil
	}
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("write the training films' temporary file: %w", err)
	}
	s.w = nil
	return nil
}

// Len is the number of films.
func (s *filmFile) Len() int { return s.n }

// Film returns film i as pix values in [-1, 1], in dst when it has the capacity. It is safe for
// concurrent use once the file is sealed.
func (s *filmFile) Film(i int, dst []float32) ([]float32, error) {
	if s.w != nil {
		return nil, fmt.Errorf("training films read before they were all written")
	}
	bp := s.bufs.Get().(*[]byte)
	defer s.bufs.Put(bp)
	b := *bp
	if _, err := s.f.ReadAt(b, int64(i)*int64(s.pix)); err != nil {
		return nil, fmt.Errorf("read training film %d of %d from its temporary file: %w", i, s.n, err)
	}
	dst = slices.Grow(dst[:0], s.pix)[:s.pix]
	for j, p := range b {
		dst[j] = float32(p)/127.5 - 1
	}
	return dst, nil
}

// close releases the file (and its disk space).
func (s *filmFile) close() error { return s.f.Close() }

// filmSet is a numbered set of films of one size.
type filmSet interface {
	Len() int
	Film(i int, dst []float32) ([]float32, error)
}

// flatFilms is a filmSet over films held in memory, one after another.
type flatFilms struct {
	pix []float32
	n   int
}

func (f flatFilms) Len() int { return f.n }

func (f flatFilms) Film(i int, dst []float32) ([]float32, error) {
	k := len(f.pix) / f.n
	return append(dst[:0], f.pix[i*k:(i+1)*k]...), nil
}
