package imageio

import (
	"bytes"
	"image"
	"image/color"
	"path/filepath"
	"testing"
)

func TestFloatRoundTrip(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 16, 1))
	for i := range g.Pix {
		g.Pix[i] = uint8(i * 17)
	}
	v := ToFloat(nil, g)
	if v[0] != -1 || v[15] != 1 {
		t.Fatalf("ends %v %v, want -1 and 1", v[0], v[15])
	}
	back := FromFloat(v, 16, 1)
	if !bytes.Equal(back.Pix, g.Pix) {
		t.Fatalf("round trip %v != %v", back.Pix, g.Pix)
	}
	clamped := FromFloat([]float32{-3, 3}, 2, 1)
	if clamped.Pix[0] != 0 || clamped.Pix[1] != 255 {
		t.Fatalf("clamp %v", clamped.Pix)
	}
}

func TestWriteReadDeterministic(t *testing.T) {
	dir := t.TempDir()
	g := image.NewGray(image.Rect(0, 0, 8, 8))
	g.SetGray(3, 4, color.Gray{200})
	b1, err := WriteGray(filepath.Join(dir, "a.png"), g)
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := EncodePNG(g)
	if !bytes.Equal(b1, b2) {
		t.Fatal("PNG encoding not deterministic")
	}
	r, err := ReadGray(filepath.Join(dir, "a.png"))
	if err != nil || !bytes.Equal(r.Pix, g.Pix) {
		t.Fatalf("read back differs: %v", err)
	}
	if _, err := ReadGray(filepath.Join(dir, "missing.png")); err == nil {
		t.Fatal("missing file read without error")
	}
}
