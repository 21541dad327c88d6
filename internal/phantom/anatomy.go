package phantom

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Class names, as written in labels.csv.
const (
	Normal       = "normal"
	Cardiomegaly = "cardiomegaly"
	Effusion     = "effusion"
	Edema        = "edema"
	Pneumothorax = "pneumothorax"
)

// Classes lists every class a phantom can have, in the canonical order.
var Classes = []string{Normal, Cardiomegaly, Effusion, Edema, Pneumothorax}

func knownClass(c string) bool {
	for _, k := range Classes {
		if k == c {
			return true
		}
	}
	return false
}

// Coordinates: u runs from -1 (image left, the patient's right) to 1 (image right, the patient's
// left), v from -1 (top) to 1 (bottom). "side" is -1 for the image-left lung, +1 for the image-right
// lung; a = side*u is the distance from the midline towards that side's chest wall.

// vessel is one straight piece of a pulmonary vessel, in patient coordinates.
type vessel struct {
	x0, y0, x1, y1 float64
	width, amp     float64
}

// lungGeom is the outline of one lung.
type lungGeom struct {
	apexV, apexA float64 // apex height and distance from the midline
	w            float64 // widest distance from the midline to the inner chest wall
	waistV       float64 // height where the lung is widest
	cpV          float64 // height of the costophrenic angle
	domeV, domeA float64 // top of the diaphragm dome and its distance from the midline
	medial       float64 // half-width of the mediastinum beside this lung
	knob         float64 // extra mediastinal width at the aortic knob (image-right lung only)
}

// Patient is one phantom patient: anatomy, finding and exposure habits. Its films vary only by
// pose, breathing, exposure and noise.
type Patient struct {
	Class string
	seed  uint64

	bodyW  float64 // half-width of the body at chest level
	lungs  [2]lungGeom
	heartR float64 // heart extent to the image left (patient right) of the midline
	heartL float64 // heart extent to the image right (patient left)
	heartV float64 // height of the heart's widest point (right border)
	heartB float64 // half-height of the heart
	apexDV float64 // how much lower the left border's widest point sits
	hilumV float64
	ribGap float64
	ribTop float64
	ribSl  float64 // rib curvature

	vessels []vessel
	texSeed uint64

	gain, offset float64 // exposure habits
	noise        float64

	// findings
	fluid    [2]float64 // effusion: height of the fluid surface above the dome top (0 = none)
	menisc   [2]float64 // effusion: how much higher the fluid climbs at the chest wall
	ptxSide  int        // pneumothorax side (-1, +1) or 0
	ptxF     float64    // pneumothorax: fraction of the lung that stays expanded (linear)
	haze     float64    // edema severity
	kerley   []vessel
	bubbleOK bool
}

func side(i int) float64 { return float64(2*i - 1) } // lung index 0 → -1 (image left), 1 → +1

// NewPatient draws a phantom patient of the given class from seed.
func NewPatient(class string, seed uint64) (*Patient, error) {
	if !knownClass(class) {
		return nil, fmt.Errorf("unknown phantom class %q (known: %v)", class, Classes)
	}
	r := rand.New(rand.NewPCG(seed, 0x5eed0f9a71e47))
	u := func(lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }
	p := &Patient{Class: class, seed: seed}

	w := u(0.70, 0.80)
	p.bodyW = w + u(0.11, 0.16)
	apex := u(-0.76, -0.70)
	domeR := u(0.34, 0.42)
	domeL := domeR + u(0.03, 0.07)
	cpDrop := u(0.18, 0.24)
	medial := u(0.14, 0.17)
	for i := range p.lungs {
		s := side(i)
		g := lungGeom{
			apexV:  apex + u(-0.015, 0.015),
			apexA:  u(0.36, 0.42),
			w:      w * u(0.98, 1.02),
			waistV: u(0.05, 0.15),
			medial: medial,
		}
		if s < 0 {
			g.domeV = domeR
		} else {
			g.domeV = domeL
			g.knob = u(0.05, 0.08)
		}
		g.cpV = g.domeV + cpDrop + u(-0.02, 0.02)
		g.domeA = g.w * u(0.36, 0.46)
		p.lungs[i] = g
	}

	// Heart: the cardiothoracic ratio is (heartR+heartL) / (2 × inner thoracic half-width).
	var ctr float64
	switch class {
	case Cardiomegaly:
		ctr = u(0.55, 0.66)
	default:
		ctr = u(0.38, 0.47)
	}
	thorax := p.lungs[0].w + p.lungs[1].w
	total := ctr * thorax
	p.heartR = total * u(0.30, 0.36)
	p.heartL = total - p.heartR
	p.heartB = u(0.22, 0.26) * (1 + 0.6*(ctr-0.42))
	p.heartV = domeR - u(0.05, 0.07)
	p.apexDV = u(0.02, 0.05)
	p.hilumV = u(-0.12, -0.04)
	p.ribTop = apex + u(0.0, 0.03)
	p.ribGap = (domeR + cpDrop - p.ribTop) / u(9.3, 10.0)
	p.ribSl = u(0.16, 0.24)
	p.texSeed = r.Uint64()
	p.gain = u(1.6, 2.3)
	p.offset = u(-0.03, 0.03)
	p.noise = u(0.008, 0.014)
	p.bubbleOK = r.Float64() < 0.7

	switch class {
	case Effusion:
		sides := []int{0, 1}
		if r.Float64() < 0.7 { // mostly one side
			sides = []int{r.IntN(2)}
		}
		for _, i := range sides {
			p.fluid[i] = u(0.06, 0.30)
			p.menisc[i] = u(0.10, 0.18)
		}
	case Pneumothorax:
		p.ptxSide = 2*r.IntN(2) - 1
		p.ptxF = u(0.58, 0.76)
	case Edema:
		p.haze = u(0.30, 0.48)
	}

	p.vessels = p.growVessels(r)
	if class == Edema {
		p.kerley = p.kerleyLines(r)
	}
	return p, nil
}

// CTR returns the cardiothoracic ratio of the patient's geometry: the heart's widest extent on
// both sides of the midline over the widest inner width of the thorax.
func (p *Patient) CTR() float64 {
	return (p.heartR + p.heartL) / (p.lungs[0].w + p.lungs[1].w)
}

// growVessels builds the branching vessel trees that fan out from both hila: each branch goes on
// with a small bend and sometimes gives off a thinner side branch, thinning towards the periphery.
func (p *Patient) growVessels(r *rand.Rand) []vessel {
	var out []vessel
	var grow func(x, y, ang, length, width, amp float64, depth int)
	grow = func(x, y, ang, length, width, amp float64, depth int) {
		x1 := x + length*math.Cos(ang)
		y1 := y + length*math.Sin(ang)
		out = append(out, vessel{x, y, x1, y1, width, amp})
		if depth <= 0 {
			return
		}
		bend := 0.5 * (r.Float64() - 0.5)
		grow(x1, y1, ang+bend, length*(0.82+0.1*r.Float64()), width*0.84, amp*0.88, depth-1)
		if r.Float64() < 0.75 {
			dir := 1.0
			if r.Float64() < 0.5 {
				dir = -1
			}
			grow(x1, y1, ang-bend+dir*(0.45+0.4*r.Float64()), length*(0.6+0.15*r.Float64()), width*0.62, amp*0.8, depth-2)
		}
	}
	for i, g := range p.lungs {
		s := side(i)
		hx := s * (g.medial + 0.05)
		hy := p.hilumV + 0.02*s
		// trunks from upward-lateral to downward-lateral; angle measured in (u, v) space
		trunks := []float64{-1.3, -0.8, -0.3, 0.25, 0.75, 1.2}
		for _, t := range trunks {
			a := t + 0.2*(r.Float64()-0.5)
			ang := a // pointing to image right
			if s < 0 {
				ang = math.Pi - a
			}
			grow(hx, hy, ang, 0.09+0.025*r.Float64(), 0.03, 0.15, 8)
		}
	}
	return out
}

// kerleyLines are short horizontal lines at the lateral lung bases (interstitial edema).
func (p *Patient) kerleyLines(r *rand.Rand) []vessel {
	var out []vessel
	for i, g := range p.lungs {
		s := side(i)
		n := 5 + r.IntN(4)
		for k := 0; k < n; k++ {
			y := g.domeV - 0.02 + (g.cpV-g.domeV+0.02)*r.Float64() - 0.15*r.Float64()
			x0 := s * (g.w*0.98 - 0.01*r.Float64())
			l := 0.05 + 0.04*r.Float64()
			out = append(out, vessel{x0, y, x0 - s*l, y + 0.01*(r.Float64()-0.5), 0.006, 0.09})
		}
	}
	return out
}

// smoothstep is 0 below e0, 1 above e1, smooth between.
func smoothstep(e0, e1, x float64) float64 {
	t := (x - e0) / (e1 - e0)
	if t <= 0 {
		return 0
	}
	if t >= 1 {
		return 1
	}
	return t * t * (3 - 2*t)
}

// lateral returns the distance from the midline to the inner chest wall at height v (breathing
// shift dv already applied to the lung's vertical landmarks by the caller).
func (g *lungGeom) lateral(v float64) float64 {
	if v <= g.apexV {
		return g.apexA
	}
	if v < g.waistV {
		t := (v - g.apexV) / (g.waistV - g.apexV)
		return g.apexA + (g.w-g.apexA)*math.Sqrt(t*(2-t))
	}
	t := (v - g.waistV) / (g.cpV - g.waistV)
	return g.w * (1 - 0.05*t*t)
}

// medialEdge returns the distance from the midline to the lung's medial border at height v.
func (g *lungGeom) medialEdge(v float64) float64 {
	m := g.medial
	if top := g.apexV + 0.22; v < top {
		t := (top - v) / 0.22
		m += (g.apexA - 0.02 - m) * t * t
	}
	if g.knob > 0 {
		d := (v + 0.34) / 0.07
		m += g.knob * math.Exp(-d*d)
	}
	return m
}

// dome returns the height of the diaphragm at distance a from the midline.
func (g *lungGeom) dome(a, dv float64) float64 {
	top := g.domeV + dv
	cp := g.cpV + dv
	edge := g.w * 0.95
	k := (cp - top) / ((edge - g.domeA) * (edge - g.domeA))
	d := a - g.domeA
	if d < 0 {
		return top + 0.6*k*d*d
	}
	return top + k*d*d
}

// sd returns an approximate signed distance (positive inside) from (a, v) to the lung outline,
// ignoring the heart.
func (g *lungGeom) sd(a, v, dv float64) float64 {
	if v < g.apexV-0.2 {
		return -1
	}
	// apex: a round cap
	top := g.apexV + 0.12
	if v < top {
		c := (g.apexA + g.medialEdge(top)) / 2
		rx := (g.lateral(top) - g.medialEdge(top)) / 2
		ry := top - g.apexV
		dx, dy := (a-c)/rx, (v-top)/ry
		cap := (1 - math.Sqrt(dx*dx+dy*dy)) * math.Min(rx, ry)
		return math.Min(cap, math.Min(g.lateral(v)-a, a-g.medialEdge(v)))
	}
	d := math.Min(g.lateral(v)-a, a-g.medialEdge(v))
	return math.Min(d, (g.dome(a, dv)-v)*0.8)
}
