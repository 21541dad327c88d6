package phantom

import (
	"image"
	"math"
	"math/rand/v2"
)

// Film is how one exposure of a patient differs from the patient's reference pose.
type Film struct {
	Rotate    float64 // radians, counter-clockwise
	ShiftU    float64 // in image half-widths
	ShiftV    float64
	Scale     float64 // 1 = reference
	Breath    float64 // diaphragm shift (positive = deeper inspiration, lower domes)
	Gain      float64 // multiplies the patient's exposure gain
	Offset    float64
	Vignette  float64
	NoiseSeed uint64
	NoNoise   bool // for measurements
}

// Neutral is the reference pose with no noise and no vignetting, for measurements.
func Neutral() Film { return Film{Scale: 1, Gain: 1, NoNoise: true} }

// FilmParams draws film number i of the patient: a small change of pose, breathing and exposure.
func (p *Patient) FilmParams(i int) Film {
	r := rand.New(rand.NewPCG(p.seed, 0xf11a0000+uint64(i)))
	u := func(lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }
	return Film{
		Rotate:    u(-0.045, 0.045),
		ShiftU:    u(-0.035, 0.035),
		ShiftV:    u(-0.035, 0.035),
		Scale:     u(0.96, 1.04),
		Breath:    u(-0.03, 0.03),
		Gain:      u(0.93, 1.07),
		Offset:    u(-0.02, 0.02),
		Vignette:  u(0.10, 0.25),
		NoiseSeed: r.Uint64(),
	}
}

// Render draws film f of the patient as a size×size 8-bit image.
func (p *Patient) Render(f Film, size int) *image.Gray {
	d := p.density(f, size)
	img := image.NewGray(image.Rect(0, 0, size, size))
	var nr *rand.Rand
	if !f.NoNoise {
		nr = rand.New(rand.NewPCG(f.NoiseSeed, uint64(size)))
	}
	gain := p.gain * f.Gain
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			i := y*size + x
			val := 1 - math.Exp(-gain*d[i])
			val = 0.04 + 0.94*val + p.offset + f.Offset
			if f.Vignette > 0 {
				ux := (float64(x)+0.5)/float64(size)*2 - 1
				vy := (float64(y)+0.5)/float64(size)*2 - 1
				val *= 1 - f.Vignette*0.5*(ux*ux+vy*vy)
			}
			if nr != nil {
				val += nr.NormFloat64() * p.noise * (0.6 + 0.6*val)
			}
			img.Pix[y*img.Stride+x] = quantize(val)
		}
	}
	return img
}

func quantize(v float64) uint8 {
	v = v*255 + 0.5
	switch {
	case v <= 0:
		return 0
	case v >= 255:
		return 255
	}
	return uint8(v)
}

const frameZoom, frameShiftV = 1.1, 0.03

// transform maps patient coordinates to image coordinates for a film and back.
type transform struct {
	cos, sin, scale, tu, tv float64
}

func newTransform(f Film) transform {
	s := f.Scale
	if s == 0 {
		s = 1
	}
	// frame the chest like a real film: lungs fill most of the width, little neck and abdomen
	s *= frameZoom
	return transform{math.Cos(f.Rotate), math.Sin(f.Rotate), s, f.ShiftU, f.ShiftV + frameShiftV}
}

func (t transform) toImage(u, v float64) (float64, float64) {
	x := t.scale * (t.cos*u - t.sin*v)
	y := t.scale * (t.sin*u + t.cos*v)
	return x + t.tu, y + t.tv
}

func (t transform) toPatient(x, y float64) (float64, float64) {
	x, y = (x-t.tu)/t.scale, (y-t.tv)/t.scale
	return t.cos*x + t.sin*y, -t.sin*x + t.cos*y
}

// density computes the attenuation map (0 = air) of film f at the given size.
func (p *Patient) density(f Film, size int) []float64 {
	tr := newTransform(f)
	n := size * size
	px := 2 / float64(size) / tr.scale // one pixel in patient units
	dv := f.Breath

	// vessels and Kerley lines, rasterised in image space
	vesselLayer := make([]float64, n)
	for _, vs := range p.vessels {
		x0, y0, x1, y1 := vs.x0, vs.y0, vs.x1, vs.y1
		if p.ptxSide != 0 && (x0+x1)*float64(p.ptxSide) > 0 {
			x0, y0 = p.collapse(x0, y0)
			x1, y1 = p.collapse(x1, y1)
		}
		w, amp := vs.width, vs.amp
		if p.haze > 0 { // indistinct vessels in edema
			w *= 1.8
			amp *= 0.9
		}
		drawSegment(vesselLayer, size, tr, x0, y0+dv*0.5, x1, y1+dv*0.5, w, amp)
	}
	kerleyLayer := make([]float64, n)
	for _, k := range p.kerley {
		drawSegment(kerleyLayer, size, tr, k.x0, k.y0+dv, k.x1, k.y1+dv, k.width, k.amp)
	}

	d := make([]float64, n)
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			ix := (float64(x)+0.5)/float64(size)*2 - 1
			iy := (float64(y)+0.5)/float64(size)*2 - 1
			u, v := tr.toPatient(ix, iy)
			i := y*size + x
			d[i] = p.densityAt(u, v, dv, px, vesselLayer[i], kerleyLayer[i])
		}
	}
	return d
}

// collapse moves a point of the pneumothorax lung towards the collapse centre.
func (p *Patient) collapse(u, v float64) (float64, float64) {
	cu, cv := p.collapseCentre()
	return cu + (u-cu)*p.ptxF, cv + (v-cv)*p.ptxF
}

func (p *Patient) collapseCentre() (float64, float64) {
	g := &p.lungs[(p.ptxSide+1)/2]
	return float64(p.ptxSide) * (g.medial + 0.06), g.domeV - 0.02
}

// uncollapse is the inverse of collapse.
func (p *Patient) uncollapse(u, v float64) (float64, float64) {
	cu, cv := p.collapseCentre()
	return cu + (u-cu)/p.ptxF, cv + (v-cv)/p.ptxF
}

// heartSD returns the signed distance (positive inside) to the heart outline.
func (p *Patient) heartSD(u, v, dv float64) float64 {
	a, cv := p.heartR, p.heartV+dv
	if u > 0 {
		a = p.heartL
		cv += p.apexDV
	}
	b := p.heartB
	if v < cv { // the upper heart rises into the mediastinum and the left hilum
		b *= 1.45
		if u > 0 {
			b *= 1.15
		}
	}
	dx, dy := math.Abs(u/a), math.Abs((v-cv)/b)
	if v > cv { // a fuller lower heart resting on the diaphragm
		const n = 2.6
		return (1 - math.Pow(math.Pow(dx, n)+math.Pow(dy, n), 1/n)) * math.Min(a, b)
	}
	return (1 - math.Sqrt(dx*dx+dy*dy)) * math.Min(a, b)
}

// densityAt is the attenuation at patient point (u, v).
func (p *Patient) densityAt(u, v, dv, px, vessel, kerley float64) float64 {
	// body outline: neck, shoulders, chest
	bw := 0.24 + (p.bodyW+0.12-0.24)*math.Sqrt(smoothstep(-0.95, -0.66, v))
	bw -= 0.12 * smoothstep(-0.72, -0.35, v)
	t := 1 - (u*u)/(bw*bw)
	if t <= 0 {
		return 0
	}
	body := 0.52 * math.Pow(t, 0.3) * smoothstep(0, 4*px/bw, t)

	// lungs
	i := 0
	if u > 0 {
		i = 1
	}
	g := &p.lungs[i]
	s := side(i)
	a := s * u
	lsd := g.sd(a, v, dv)
	hsd := p.heartSD(u, v, dv)
	lung := smoothstep(-px, px, lsd) * (1 - smoothstep(-px, px, hsd))

	dens := body
	// mediastinum and heart: thick soft tissue in the middle of the chest
	heart := smoothstep(-px, px, hsd)
	med := smoothstep(-px, px, g.medialEdge(v)-a) * smoothstep(g.apexV, g.apexV+0.25, v) * smoothstep(-0.1, 0.05, g.dome(a, dv)+0.05-v)
	// liver and abdomen below the domes are thicker than the chest wall; the heart blends into them
	abdomen := 0.45 * body * smoothstep(g.dome(a, dv)-0.02, g.dome(a, dv)+0.12, v) * smoothstep(-0.05, 0.1, g.lateral(v)+0.04-a)
	dens += math.Max(0.24*math.Max(heart, med), abdomen)
	// the chest wall beside the lung: muscle and ribs seen edge-on
	if v > g.apexV {
		dens += 0.10 * smoothstep(-0.01, 0.04, a-g.lateral(v)) * smoothstep(-0.05, 0.0, -math.Abs(a-g.lateral(v)-0.06)+0.05) * smoothstep(0, 0.1, body)
	}
	if lung > 0 {
		air := 0.88 * body * (1 - 0.2*smoothstep(-0.1, 0.6, v))
		visible := lung // where markings show
		extraAir := 0.0
		if p.ptxSide == int(s) {
			cu, cv := p.uncollapse(u, v)
			csd := g.sd(s*cu, cv, dv) * p.ptxF
			inLung := smoothstep(-px, px, csd)
			visible *= inLung
			extraAir = 0.10 * lung * (1 - inLung)
			dens += 0.04 * lung * inLung                    // collapsed lung is denser
			dens += 0.11 * math.Exp(-(csd*csd)/(px*px*0.6)) // visceral pleural line
		}
		tex := 0.035 * (valueNoise(u*9, v*9, p.texSeed) - 0.5)
		tex += 0.02 * (valueNoise(u*23, v*23, p.texSeed+1) - 0.5)
		tex += 0.025 * (valueNoise(u*50, v*50, p.texSeed+2) - 0.5)
		dens -= air*lung + extraAir
		dens += visible * (0.055 + tex + vessel)
		if p.fluid[i] > 0 {
			top := g.domeV + dv - p.fluid[i]
			span := g.lateral(v) - g.medialEdge(v)
			q := (a - g.medialEdge(v)) / span
			if q < 0 {
				q = 0
			}
			surface := top - p.menisc[i]*q*q
			f := smoothstep(surface-0.01, surface+0.06, v)
			dens += f * lung * (air + 0.06 + 0.08*smoothstep(surface, surface+0.3, v))
		}
		if p.haze > 0 {
			hu, hv := u-s*(g.medial+0.10), v-p.hilumV
			peri := math.Exp(-(hu*hu/0.09 + hv*hv/0.12))
			basal := smoothstep(-0.1, 0.35, v)
			dens += visible * air * p.haze * (0.35 + 0.75*peri + 0.3*basal)
			dens += visible * kerley
		}
	}

	// hilar shadows
	for k := range p.lungs {
		hu, hv := u-side(k)*(p.lungs[k].medial+0.06), v-p.hilumV-0.04
		dens += 0.10 * math.Exp(-(hu*hu+hv*hv*0.5)/0.003)
	}

	// spine and trachea
	spine := smoothstep(-0.075, -0.055, -math.Abs(u)) * smoothstep(-0.95, -0.8, v)
	if spine > 0 {
		disc := 0.5 + 0.5*math.Cos((v-p.ribTop)/p.ribGap*2*math.Pi)
		dens += spine * (0.15 - 0.05*disc*disc*disc*disc) * (1 - 0.7*heart)
	}
	carina := p.hilumV - 0.16
	if v < carina {
		tw := smoothstep(-0.035, -0.022, -math.Abs(u)) * smoothstep(carina+0.02, carina-0.06, v)
		dens -= 0.3 * tw
	} else if v < carina+0.14 { // main bronchi
		bx := math.Abs(u) - (v-carina)*0.75
		dens -= 0.2 * smoothstep(-0.026, -0.016, -math.Abs(bx)) * smoothstep(carina+0.14, carina+0.06, v)
	}

	// ribs
	dens += p.ribs(a, v, px) * (0.35 + 0.65*lung) * smoothstep(0, 0.15, body)

	// clavicles
	{
		t := (a - 0.08) / 0.58
		if t > -0.05 && t < 1.1 {
			cy := p.ribTop + 0.09 - 0.12*t + 0.04*math.Sin(t*math.Pi)
			dd := math.Abs(v-cy) / 0.026
			dens += 0.22 * smoothstep(-1, -0.7, -dd) * smoothstep(-0.05, 0.05, t) * smoothstep(-1.1, -0.95, -t)
		}
	}
	// humeral heads
	{
		hx, hy := a-(p.bodyW+0.03), v-(p.ribTop+0.1)
		r := math.Sqrt(hx*hx+hy*hy) / 0.14
		dens += 0.35 * smoothstep(-1, -0.85, -r)
	}
	// gastric bubble under the left dome
	if p.bubbleOK && i == 1 {
		gu, gv := (a-g.domeA-0.1)/0.11, (v-(g.domeV+dv+0.13))/0.06
		if gv < 0 {
			gv *= 1.6
		}
		dens -= 0.25 * body * smoothstep(-1, -0.8, -math.Sqrt(gu*gu+gv*gv))
	}
	if dens < 0 {
		dens = 0
	}
	return dens
}

const ribCount, ribHalf = 11, 0.022

// ribCentres returns the heights of posterior rib k and of anterior rib k at t = a/w, where a is
// the distance from the midline and w the thoracic half-width (anterior is NaN where absent).
func (p *Patient) ribCentres(t float64, k int) (post, ant float64) {
	v0 := p.ribTop + float64(k)*p.ribGap*(1+0.02*float64(k))
	// posterior rib: nearly flat at the spine, curving down laterally
	post = v0 - 0.08*t + p.ribSl*1.4*t*t*math.Sqrt(t)
	ant = math.NaN()
	// anterior rib: from the lateral end, sloping down towards the midline
	if t > 0.35 && t < 1.1 {
		ant = v0 - 0.08 + p.ribSl*1.4 + 0.39*(1-t)*(1-t) - 0.02
	}
	return post, ant
}

// nearRib reports whether (a, v) lies within margin of a rib's edge.
func (p *Patient) nearRib(a, v, margin float64) bool {
	t := math.Max(a, 0) / p.lungs[0].w
	for k := 0; k < ribCount; k++ {
		post, ant := p.ribCentres(t, k)
		if math.Abs(v-post) < ribHalf*(1+0.25*t)*1.3+margin || math.Abs(v-ant) < ribHalf*1.3*1.1+margin {
			return true
		}
	}
	return false
}

// ribs returns the added density of posterior and anterior ribs at (a, v).
func (p *Patient) ribs(a, v, px float64) float64 {
	if a < 0.05 {
		return 0
	}
	t := a / p.lungs[0].w
	if t > 1.25 {
		return 0
	}
	total := 0.0
	for k := 0; k < ribCount; k++ {
		post, ant := p.ribCentres(t, k)
		d := math.Abs(v-post) / (ribHalf * (1 + 0.25*t))
		if d < 1.3 {
			edge := smoothstep(-1.25, -0.6, -d)
			cortex := 0.2 * math.Exp(-(d-0.85)*(d-0.85)/0.03)
			total += 0.05 * (edge + cortex) * smoothstep(0.05, 0.12, a)
		}
		if !math.IsNaN(ant) {
			da := math.Abs(v-ant) / (ribHalf * 1.3)
			total += 0.03 * smoothstep(-1.1, -0.8, -da) * smoothstep(0.35, 0.5, t)
		}
	}
	return total
}

// drawSegment adds a soft line from (x0,y0) to (x1,y1) (patient coordinates) to layer.
func drawSegment(layer []float64, size int, tr transform, x0, y0, x1, y1, width, amp float64) {
	ax, ay := tr.toImage(x0, y0)
	bx, by := tr.toImage(x1, y1)
	// to pixel coordinates
	sc := float64(size) / 2
	ax, ay = (ax+1)*sc, (ay+1)*sc
	bx, by = (bx+1)*sc, (by+1)*sc
	wpx := width * tr.scale * sc / 2
	sigma := math.Max(wpx, 0.55)
	amp *= math.Min(1, 0.8*wpx/0.55+0.15) // thin vessels fade instead of vanishing
	r := 2.5 * sigma
	minX := int(math.Floor(math.Min(ax, bx) - r))
	maxX := int(math.Ceil(math.Max(ax, bx) + r))
	minY := int(math.Floor(math.Min(ay, by) - r))
	maxY := int(math.Ceil(math.Max(ay, by) + r))
	minX, minY = max(minX, 0), max(minY, 0)
	maxX, maxY = min(maxX, size-1), min(maxY, size-1)
	dx, dy := bx-ax, by-ay
	l2 := dx*dx + dy*dy
	for y := minY; y <= maxY; y++ {
		for x := minX; x <= maxX; x++ {
			cx, cy := float64(x)+0.5, float64(y)+0.5
			t := 0.0
			if l2 > 0 {
				t = ((cx-ax)*dx + (cy-ay)*dy) / l2
				t = math.Max(0, math.Min(1, t))
			}
			ex, ey := cx-(ax+t*dx), cy-(ay+t*dy)
			d2 := (ex*ex + ey*ey) / (sigma * sigma)
			if d2 < 6.25 {
				v := amp * math.Exp(-d2/2)
				if v > layer[y*size+x] {
					layer[y*size+x] = v
				}
			}
		}
	}
}

// valueNoise is smooth lattice noise in [0, 1].
func valueNoise(x, y float64, seed uint64) float64 {
	x0, y0 := math.Floor(x), math.Floor(y)
	fx, fy := x-x0, y-y0
	fx = fx * fx * (3 - 2*fx)
	fy = fy * fy * (3 - 2*fy)
	ix, iy := int64(x0), int64(y0)
	h := func(i, j int64) float64 {
		z := seed ^ uint64(i)*0x9E3779B97F4A7C15 ^ uint64(j)*0xC2B2AE3D27D4EB4F
		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
		z = (z ^ (z >> 27)) * 0x94D049BB133111EB
		z ^= z >> 31
		return float64(z>>11) / float64(1<<53)
	}
	a := h(ix, iy) + (h(ix+1, iy)-h(ix, iy))*fx
	b := h(ix, iy+1) + (h(ix+1, iy+1)-h(ix, iy+1))*fx
	return a + (b-a)*fy
}
