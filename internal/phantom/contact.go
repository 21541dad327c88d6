package phantom

import (
	"image"
	"image/color"
	"image/draw"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Tile is one film on a contact sheet.
type Tile struct {
	Label string
	Image *image.Gray
}

// ContactSheet lays tiles out in a grid of cols columns, each under its label. Small films are
// enlarged by whole factors (nearest neighbour) so that they are at least 128 pixels wide.
func ContactSheet(tiles []Tile, cols int) *image.Gray {
	if len(tiles) == 0 || cols < 1 {
		return image.NewGray(image.Rect(0, 0, 1, 1))
	}
	tw, th := 0, 0
	for _, t := range tiles {
		b := t.Image.Bounds()
		tw, th = max(tw, b.Dx()), max(th, b.Dy())
	}
	zoom := 1
	for tw*zoom < 128 {
		zoom++
	}
	const pad, labelH = 4, 16
	cellW, cellH := tw*zoom+pad, th*zoom+labelH+pad
	rows := (len(tiles) + cols - 1) / cols
	sheet := image.NewGray(image.Rect(0, 0, cols*cellW+pad, rows*cellH+pad))
	draw.Draw(sheet, sheet.Rect, image.NewUniform(color.Gray{Y: 40}), image.Point{}, draw.Src)
	face := basicfont.Face7x13
	for k, t := range tiles {
		x0 := pad + (k%cols)*cellW
		y0 := pad + (k/cols)*cellH
		b := t.Image.Bounds()
		for y := 0; y < b.Dy()*zoom; y++ {
			for x := 0; x < b.Dx()*zoom; x++ {
				sheet.SetGray(x0+x, y0+labelH+y, t.Image.GrayAt(b.Min.X+x/zoom, b.Min.Y+y/zoom))
			}
		}
		d := font.Drawer{Dst: sheet, Src: image.NewUniform(color.Gray{Y: 235}), Face: face,
			Dot: fixed.P(x0+2, y0+12)}
		d.DrawString(t.Label)
	}
	return sheet
}
