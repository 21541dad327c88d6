package textsafe

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"
)

func TestEscape(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"chest-1.0.0/data/normal/a.png", "chest-1.0.0/data/normal/a.png"},
		{"Müller 肺", "Müller 肺"},
		{"tab\tand\nnewline", "tab\tand\nnewline"},
		{"evil\u202Egnp.exe", `evil\u202egnp.exe`},
		{"a\x00b", `a\u0000b`},
		{"\x1b[31mred", `\u001b[31mred`},
		{"line\rover", `line\u000dover`},
		{"c1\u009bx", `c1\u009bx`},
		{"zw\u200bj\u2066i\u2069", `zw\u200bj\u2066i\u2069`},
		{"bom\ufeff", `bom\ufeff`},
		{"ls\u2028", `ls\u2028`},
		{"tag\U000E0001", `tag\udb40\udc01`},
		{"bad\xffutf8", `bad\xffutf8`},
	} {
		if got := Escape(tc.in); got != tc.want {
			t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// A Writer over JSON keeps it valid and decoding to the same strings, with no unsafe rune left.
func TestWriterKeepsJSONValid(t *testing.T) {
	in := map[string]string{"name": "a\u202Eb\u009b\x1b", "class": "normal"}
	raw, _ := json.Marshal(in)
	var out bytes.Buffer
	w := NewWriter(&out)
	// Write byte by byte so runes are split across writes.
	for i := range raw {
		w.Write(raw[i : i+1])
	}
	w.Flush()
	for _, r := range out.String() {
		if Unsafe(r) {
			t.Fatalf("unsafe rune %U left in %s", r, out.String())
		}
	}
	var back map[string]string
	if err := json.Unmarshal(out.Bytes(), &back); err != nil || back["name"] != in["name"] {
		t.Fatalf("round trip: %v %q", err, back)
	}
}

func FuzzEscape(f *testing.F) {
	f.Add("evil\u202Egnp")
	f.Add("bad\xff\xe2\x80")
	f.Fuzz(func(t *testing.T, s string) {
		e := Escape(s)
		if !utf8.ValidString(e) || Needs(e) {
			t.Fatalf("Escape(%q) = %q still needs escaping", s, e)
		}
		if !Needs(s) && e != s {
			t.Fatalf("safe %q changed to %q", s, e)
		}
		var out bytes.Buffer
		w := NewWriter(&out)
		for i := 0; i < len(s); i += 2 {
			w.Write([]byte(s[i:min(i+2, len(s))]))
		}
		w.Flush()
		if out.String() != e {
			t.Fatalf("Writer %q, Escape %q", out.String(), e)
		}
	})
}
