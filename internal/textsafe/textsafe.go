package textsafe

import (
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Unsafe reports whether r is escaped: a control character other than tab and newline, a format
// character (category Cf: bidi controls, zero-width characters, BOM) or a line or paragraph
// separator.
func Unsafe(r rune) bool {
	switch {
	case r == '\t' || r == '\n':
		return false
	case r < 0x20 || r == 0x7F || r >= 0x80 && r <= 0x9F:
		return true
	case r == 0x2028 || r == 0x2029:
		return true
	}
	return r > 0x9F && unicode.Is(unicode.Cf, r)
}

// Needs reports whether s holds anything [Escape] would change.
func Needs(s string) bool {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n <= 1 || Unsafe(r) {
			return true
		}
		i += n
	}
	return false
}

// Escape returns s with every unsafe rune as \uXXXX and every invalid byte as \xNN.
func Escape(s string) string {
	if !Needs(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
			n = 1
		case Unsafe(r):
			writeRune(&b, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func writeRune(b *strings.Builder, r rune) {
	if r > 0xFFFF {
		hi, lo := utf16.EncodeRune(r)
		fmt.Fprintf(b, `\u%04x\u%04x`, hi, lo)
		return
	}
	fmt.Fprintf(b, `\u%04x`, r)
}

// Writer escapes everything written through it (see [Escape]). A rune split across two writes
// is held back until it is complete; call Flush at the end to write out an incomplete one.
type Writer struct {
	w       io.Writer
	pending []byte
}

// NewWriter returns a Writer that escapes onto w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write escapes p onto the underlying writer. It reports len(p) written when the escaped text
// was written whole.
func (w *Writer) Write(p []byte) (int, error) {
	buf := append(w.pending, p...)
	w.pending = nil
	// Hold back a trailing incomplete UTF-8 sequence (at most 3 bytes).
	cut := len(buf)
	for k := 1; k <= 3 && k <= len(buf); k++ {
		c := buf[len(buf)-k]
		if c < 0x80 {
			break
		}
		if utf8.RuneStart(c) {
			if !utf8.FullRune(buf[len(buf)-k:]) {
				cut = len(buf) - k
			}
			break
		}
	}
	w.pending = append(w.pending[:0], buf[cut:]...)
	if _, err := io.WriteString(w.w, Escape(string(buf[:cut]))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes out a held-back incomplete rune (escaped as bytes).
func (w *Writer) Flush() error {
	if len(w.pending) == 0 {
		return nil
	}
	s := Escape(string(w.pending))
	w.pending = nil
	_, err := io.WriteString(w.w, s)
	return err
}
