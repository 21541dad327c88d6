package phantom

import (
	"image"
	"math"
	"sort"
	"testing"
)

// The tests in this file measure each class's finding on rendered pixels; the geometry only says
// where to look.

const measureSize = 128

// pixel centre of patient point (u, v) in a film rendered with the neutral pose.
func toPixel(u, v float64, size int) (int, int) {
	x, y := newTransform(Neutral()).toImage(u, v)
	return int(math.Floor((x + 1) / 2 * float64(size))), int(math.Floor((y + 1) / 2 * float64(size)))
}

func rowOf(v float64, size int) int { _, y := toPixel(0, v, size); return y }

// blur3 returns a 3×3 box-blurred copy of img as floats in [0, 255].
func blur3(img *image.Gray) [][]float64 {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	out := make([][]float64, h)
	for y := 0; y < h; y++ {
		out[y] = make([]float64, w)
		for x := 0; x < w; x++ {
			s, n := 0.0, 0.0
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					xx, yy := x+dx, y+dy
					if xx >= 0 && yy >= 0 && xx < w && yy < h {
						s += float64(img.Pix[yy*img.Stride+xx])
						n++
					}
				}
			}
			out[y][x] = s / n
		}
	}
	return out
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}

func boxValues(b [][]float64, u, v float64, r int) []float64 {
	size := len(b)
	x0, y0 := toPixel(u, v, size)
	var out []float64
	for y := y0 - r; y <= y0+r; y++ {
		for x := x0 - r; x <= x0+r; x++ {
			out = append(out, b[y][x])
		}
	}
	return out
}

// measureCTR thresholds the rendered neutral film halfway between lung and heart brightness, then
// measures the heart's widest extent on each side of the midline (rows between the hila and the
// right diaphragm dome) and the widest inner thoracic width (first dark pixel inside the bright
// chest wall on each side).
func measureCTR(t *testing.T, p *Patient, size int) float64 {
	t.Helper()
	b := blur3(p.Render(Neutral(), size))
	lung := median(append(boxValues(b, -0.55, -0.2, 2), boxValues(b, 0.55, -0.2, 2)...))
	heart := median(boxValues(b, 0.04, p.heartV, 2))
	thr := (lung + heart) / 2
	if heart-lung < 40 {
		t.Fatalf("heart (%.0f) hardly brighter than lung (%.0f)", heart, lung)
	}
	mid := size / 2 // pixel columns mid-1 and mid straddle u = 0
	mrd, mld := 0, 0
	// each side down to just above its own diaphragm dome
	for y := rowOf(p.hilumV+0.12, size); y <= rowOf(p.lungs[0].domeV-0.02, size); y++ {
		x := mid - 1
		for x > 0 && b[y][x] > thr {
			x--
		}
		mrd = max(mrd, mid-1-x)
	}
	for y := rowOf(p.hilumV+0.12, size); y <= rowOf(p.lungs[1].domeV-0.02, size); y++ {
		x := mid
		for x < size-1 && b[y][x] > thr {
			x++
		}
		mld = max(mld, x-mid)
	}
	// inner thoracic width: from the midline outwards, through heart and lung, to the first pixel
	// as bright as the chest wall's halfway point
	wall := median(append(boxValues(b, -(p.lungs[0].w+0.05), -0.1, 1), boxValues(b, p.lungs[1].w+0.05, -0.1, 1)...))
	thrWall := (lung + wall) / 2
	if wall-lung < 25 {
		t.Fatalf("chest wall (%.0f) hardly brighter than lung (%.0f)", wall, lung)
	}
	id := 0
	for y := rowOf(-0.3, size); y <= rowOf(p.lungs[0].domeV, size); y++ {
		xl := mid - 1
		for xl > 0 && b[y][xl] > thrWall { // mediastinum or heart, and its blurred edge
			xl--
		}
		for xl > 0 && b[y][xl] <= thrWall { // lung
			xl--
		}
		xr := mid
		for xr < size-1 && b[y][xr] > thrWall {
			xr++
		}
		for xr < size-1 && b[y][xr] <= thrWall {
			xr++
		}
		id = max(id, xr-xl-1)
	}
	return float64(mrd+mld) / float64(id)
}

func TestCardiothoracicRatioMeasured(t *testing.T) {
	for _, tc := range []struct {
		class  string
		lo, hi float64
	}{
		{Normal, 0.30, 0.495},
		{Cardiomegaly, 0.505, 0.75},
	} {
		t.Run(tc.class, func(t *testing.T) {
			for seed := uint64(1); seed <= 12; seed++ {
				p, err := NewPatient(tc.class, seed)
				if err != nil {
					t.Fatal(err)
				}
				got := measureCTR(t, p, measureSize)
				if got < tc.lo || got > tc.hi {
					t.Errorf("seed %d: measured CTR %.3f outside [%.2f, %.2f] (geometry %.3f)", seed, got, tc.lo, tc.hi, p.CTR())
				}
				if math.Abs(got-p.CTR()) > 0.05 {
					t.Errorf("seed %d: measured CTR %.3f far from geometry %.3f", seed, got, p.CTR())
				}
			}
		})
	}
}

// Effusion and edema hide the heart borders, as on real films, so only their geometry is checked:
// only cardiomegaly has a large heart.
func TestOnlyCardiomegalyHasALargeHeart(t *testing.T) {
	for _, c := range Classes {
		for seed := uint64(1); seed <= 50; seed++ {
			p, _ := NewPatient(c, seed)
			if big := p.CTR() > 0.5; big != (c == Cardiomegaly) {
				t.Errorf("%s seed %d: CTR %.3f", c, seed, p.CTR())
			}
		}
	}
}

// markingVar is the variance of the horizontal second difference over the given pixels. Vessel
// markings run in every direction and raise it; ribs, nearly horizontal bands, barely do.
func markingVar(img *image.Gray, pts []image.Point) float64 {
	var s, s2 float64
	at := func(x, y int) float64 { return float64(img.Pix[y*img.Stride+x]) }
	for _, pt := range pts {
		d := at(pt.X, pt.Y) - (at(pt.X-1, pt.Y)+at(pt.X+1, pt.Y))/2
		s += d
		s2 += d * d
	}
	n := float64(len(pts))
	return s2/n - (s/n)*(s/n)
}

func TestPneumothoraxRegionHasNoMarkings(t *testing.T) {
	for seed := uint64(1); seed <= 10; seed++ {
		p, err := NewPatient(Pneumothorax, seed)
		if err != nil {
			t.Fatal(err)
		}
		f := p.FilmParams(0) // a real film's pose and exposure, without the noise common to both lungs
		f.NoNoise = true
		img := p.Render(f, measureSize)
		b := blur3(img)
		tr := newTransform(f)
		i := (p.ptxSide + 1) / 2
		g := &p.lungs[i]
		o := &p.lungs[1-i]
		var ptx, mirror []image.Point
		for y := 2; y < measureSize-2; y++ {
			for x := 2; x < measureSize-2; x++ {
				u, v := tr.toPatient((float64(x)+0.5)/measureSize*2-1, (float64(y)+0.5)/measureSize*2-1)
				s := side(i)
				if s*u <= 0 || v < p.ribTop+0.16 || g.sd(s*u, v, f.Breath) < 0.03 || p.nearRib(s*u, v, 2.0/measureSize) {
					continue // outside the lung, or on a rib or clavicle (chest wall, seen in both)
				}
				cu, cv := p.uncollapse(u, v)
				if g.sd(s*cu, cv, f.Breath)*p.ptxF > -0.03 { // inside or near the collapsed lung
					continue
				}
				ptx = append(ptx, image.Pt(x, y))
				// the same place in the other lung
				mu, mv := -u, v
				if o.sd(-s*mu, mv, f.Breath) > 0.03 && p.heartSD(mu, mv, f.Breath) < -0.03 {
					mx, my := tr.toImage(mu, mv)
					mirror = append(mirror, image.Pt(int((mx+1)/2*measureSize), int((my+1)/2*measureSize)))
				}
			}
		}
		if len(ptx) < 30 || len(mirror) < 30 {
			t.Fatalf("seed %d: pneumothorax region too small to measure (%d, %d pixels)", seed, len(ptx), len(mirror))
		}
		vp, vm := markingVar(img, ptx), markingVar(img, mirror)
		mp, mm := meanAt(b, ptx), meanAt(b, mirror)
		t.Logf("seed %d: texture variance %.1f (pneumothorax) vs %.1f (other lung); mean %.0f vs %.0f", seed, vp, vm, mp, mm)
		if vp >= 0.8*vm {
			t.Errorf("seed %d: pneumothorax region texture variance %.1f not below the other lung's %.1f", seed, vp, vm)
		}
		if mp >= mm {
			t.Errorf("seed %d: pneumothorax region (mean %.0f) not darker than the other lung (%.0f)", seed, mp, mm)
		}
	}
}

func meanAt(b [][]float64, pts []image.Point) float64 {
	s := 0.0
	for _, pt := range pts {
		s += b[pt.Y][pt.X]
	}
	return s / float64(len(pts))
}

// lowerZone is the mean brightness of the lateral lung base just above the dome top of lung i.
func lowerZone(p *Patient, i int, b [][]float64) float64 {
	g := &p.lungs[i]
	s := side(i)
	var vals []float64
	for a := 0.55 * g.w; a <= 0.8*g.w; a += 0.02 {
		for v := g.domeV - 0.08; v <= g.domeV-0.01; v += 0.02 {
			x, y := toPixel(s*a, v, len(b))
			vals = append(vals, b[y][x])
		}
	}
	return meanAt2(vals)
}

func meanAt2(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

func TestEffusionBrightensLowerZone(t *testing.T) {
	var normal [2][]float64
	for seed := uint64(1); seed <= 12; seed++ {
		p, _ := NewPatient(Normal, seed)
		b := blur3(p.Render(Neutral(), measureSize))
		for i := range 2 {
			normal[i] = append(normal[i], lowerZone(p, i, b))
		}
	}
	for seed := uint64(1); seed <= 12; seed++ {
		p, _ := NewPatient(Effusion, seed)
		b := blur3(p.Render(Neutral(), measureSize))
		for i := range 2 {
			z := lowerZone(p, i, b)
			if p.fluid[i] == 0 {
				continue
			}
			hi := 0.0
			for _, n := range normal[i] {
				hi = max(hi, n)
			}
			t.Logf("seed %d side %d: lower zone %.0f, brightest normal %.0f", seed, i, z, hi)
			if z < hi+25 {
				t.Errorf("seed %d side %d: effusion lower zone %.0f not clearly brighter than every normal's (max %.0f)", seed, i, z, hi)
			}
			if other := lowerZone(p, 1-i, b); p.fluid[1-i] == 0 && z < other+25 {
				t.Errorf("seed %d side %d: effusion side %.0f not clearly brighter than the dry side %.0f", seed, i, z, other)
			}
		}
	}
}

// midLungs is the mean brightness of both mid lung zones.
func midLungs(p *Patient, b [][]float64) float64 {
	var vals []float64
	for i := range 2 {
		g := &p.lungs[i]
		for a := 0.4 * g.w; a <= 0.75*g.w; a += 0.03 {
			for v := -0.3; v <= 0.1; v += 0.03 {
				x, y := toPixel(side(i)*a, v, len(b))
				vals = append(vals, b[y][x])
			}
		}
	}
	return meanAt2(vals)
}

func TestEdemaHazesBothLungs(t *testing.T) {
	hi := 0.0
	for seed := uint64(1); seed <= 12; seed++ {
		p, _ := NewPatient(Normal, seed)
		hi = max(hi, midLungs(p, blur3(p.Render(Neutral(), measureSize))))
	}
	for seed := uint64(1); seed <= 12; seed++ {
		p, _ := NewPatient(Edema, seed)
		z := midLungs(p, blur3(p.Render(Neutral(), measureSize)))
		t.Logf("seed %d: mid lungs %.0f, brightest normal %.0f", seed, z, hi)
		if z < hi+10 {
			t.Errorf("seed %d: edema mid lungs %.0f not brighter than every normal's (max %.0f)", seed, z, hi)
		}
	}
}

func TestNormalLungsHaveMarkings(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		p, _ := NewPatient(Normal, seed)
		img := p.Render(Neutral(), measureSize)
		for i := range 2 {
			g := &p.lungs[i]
			// markings: the mid lung has more fine texture than a flat field would
			var pts []image.Point
			for a := 0.35 * g.w; a <= 0.7*g.w; a += 0.01 {
				for v := -0.25; v <= 0.05; v += 0.01 {
					x, y := toPixel(side(i)*a, v, measureSize)
					pts = append(pts, image.Pt(x, y))
				}
			}
			if hv := markingVar(img, pts); hv < 1 {
				t.Errorf("seed %d side %d: lung texture variance %.2f: no markings", seed, i, hv)
			}
		}
	}
}

// recessDepth follows the column at 85% of the thoracic half-width down from above the dome and
// returns how far below the dome top the dark lung reaches, as a fraction of the dome-to-angle
// drop: a sharp costophrenic angle lets the lung reach well below the dome top; fluid stops it
// above the dome top (a negative value).
func recessDepth(p *Patient, i int, b [][]float64) float64 {
	g := &p.lungs[i]
	s := side(i)
	size := len(b)
	lung := median(boxValues(b, s*0.55, -0.2, 2))
	belly := median(boxValues(b, s*0.4*g.w, g.cpV+0.12, 2))
	thr := lung + 0.6*(belly-lung)
	x, y := toPixel(s*0.85*g.w, g.domeV-0.2, size)
	for y < size-1 && b[y+1][x] < thr {
		y++
	}
	v := (float64(y)+0.5)/float64(size)*2 - 1
	return (v - g.domeV) / (g.cpV - g.domeV)
}

func TestCostophrenicAngles(t *testing.T) {
	for seed := uint64(1); seed <= 12; seed++ {
		p, _ := NewPatient(Normal, seed)
		b := blur3(p.Render(Neutral(), measureSize))
		for i := range 2 {
			d := recessDepth(p, i, b)
			t.Logf("normal seed %d side %d: recess depth %.2f", seed, i, d)
			if d < 0.4 {
				t.Errorf("normal seed %d side %d: lung reaches only %.2f of the way down to the costophrenic angle: not sharp", seed, i, d)
			}
		}
		p, _ = NewPatient(Effusion, seed)
		b = blur3(p.Render(Neutral(), measureSize))
		for i := range 2 {
			d := recessDepth(p, i, b)
			t.Logf("effusion seed %d side %d (fluid %v): recess depth %.2f", seed, i, p.fluid[i] > 0, d)
			if p.fluid[i] > 0 && d > 0 {
				t.Errorf("effusion seed %d side %d: lung reaches %.2f of the way down to the costophrenic angle: not blunted", seed, i, d)
			}
		}
	}
}

func TestFilmsOfOnePatientAreSimilarNotIdentical(t *testing.T) {
	diff := func(a, b *image.Gray) float64 {
		s := 0.0
		for i := range a.Pix {
			s += math.Abs(float64(a.Pix[i]) - float64(b.Pix[i]))
		}
		return s / float64(len(a.Pix))
	}
	for _, c := range Classes {
		t.Run(c, func(t *testing.T) {
			p, _ := NewPatient(c, 3)
			q, _ := NewPatient(c, 4)
			a, b := p.Render(p.FilmParams(0), 64), p.Render(p.FilmParams(1), 64)
			other := q.Render(q.FilmParams(0), 64)
			same, between := diff(a, b), diff(a, other)
			t.Logf("mean |difference|: same patient %.1f, other patient %.1f", same, between)
			if same < 1 {
				t.Errorf("two films of one patient are (nearly) identical: mean difference %.2f", same)
			}
			if same > 25 {
				t.Errorf("two films of one patient differ too much: mean difference %.1f", same)
			}
			if !(same < between) {
				t.Errorf("films of one patient (%.1f) differ more than films of two patients (%.1f)", same, between)
			}
		})
	}
}
