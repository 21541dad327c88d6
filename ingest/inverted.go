package ingest

import "image"

// looksInverted reports whether a normalised chest film looks like a negative: lung fields
// brighter than the mediastinum, and the top corners (usually air outside the body) brighter than the image as a whole. On a correctly rendered film air (lungs) is dark and the spine
// and heart are bright, whatever the source's photometric interpretation claimed; a film that
// fails this usually carries a wrong PhotometricInterpretation. Ingest keeps the image as the
// source encodes it (that is what the standard says) but warns.
func looksInverted(g *image.Gray) bool {
	n := g.Rect.Dx()
	mean := func(x0, x1, y0, y1 float64) float64 {
		s, c := 0.0, 0.0
		for y := int(y0 * float64(n)); y < int(y1*float64(n)); y++ {
			for x := int(x0 * float64(n)); x < int(x1*float64(n)); x++ {
				s += float64(g.Pix[y*g.Stride+x])
				c++
			}
		}
		return s / max(c, 1)
	}
	lungs := (mean(0.18, 0.38, 0.25, 0.6) + mean(0.62, 0.82, 0.25, 0.6)) / 2
	mediastinum := mean(0.45, 0.55, 0.25, 0.6)
	all := mean(0, 1, 0, 1)
	corners := (mean(0, 0.1, 0, 0.1) + mean(0.9, 1, 0, 0.1)) / 2
	return lungs > mediastinum+30 && corners > all

}
