package train

import (
	"fmt"
	"math/bits"
	"math/rand/v2"

	"github.com/raysynth/raysynth/internal/nn"
)

// ZDim is the length of the generator's latent vector.
const ZDim = 100

// Arch is a DCGAN's shape: image size (a power of two, 16 to 256) and the channel widths of the
// last generator layer (NGF) and the first discriminator layer (NDF).
type Arch struct {
	Size int `json:"size"`
	NGF  int `json:"ngf"`
	NDF  int `json:"ndf"`
}

// DefaultArch is the architecture of the field notes and the issue: the generator starts at
// 4×4×(8·ngf) = 4×4×256 and halves the channels at every doubling (64×64: 4×4×256 → 8×8×128 →
// 16×16×64 → 32×32×32 → 64×64×1; 128×128 adds 64×64×16); the discriminator mirrors it.
func DefaultArch(size int) Arch { return Arch{Size: size, NGF: 32, NDF: 32} }

// Validate checks the architecture.
func (a Arch) Validate() error {
	if a.Size < 16 || a.Size > 256 || bits.OnesCount(uint(a.Size)) != 1 {
		return fmt.Errorf("image size %d: want a power of two from 16 to 256 (e.g. 64)", a.Size)
	}
	if a.NGF < 1 || a.NDF < 1 {
		return fmt.Errorf("channel widths ngf %d, ndf %d must be positive", a.NGF, a.NDF)
	}
	return nil
}

// upLayers is the number of stride-2 layers between 4×4 and Size×Size.
func (a Arch) upLayers() int { return bits.Len(uint(a.Size/4)) - 1 }

// dcgan holds one DCGAN's parameters and BatchNorm statistics.
type dcgan struct {
	arch Arch
	prec Precision // of the matrix products in every graph built from the model

	gLin     *nn.Param
	gBN      [][2]*nn.Param // gamma, beta after the linear layer and each hidden convT
	gBNStats []*nn.BNStats
	gConv    []*nn.Param // transposed convolutions; the last one makes the image
	gOutBias *nn.Param

	dConv    []*nn.Param // stride-2 convolutions
	dInBias  *nn.Param
	dBN      [][2]*nn.Param // after every convolution but the first
	dBNStats []*nn.BNStats
	dOut     *nn.Param // 4×4×C → logit
	dOutBias *nn.Param

	// perSample makes the discriminator normalise every image on its own with frozen running
	// statistics (differentially private training: no image's output depends on another's).
	perSample bool
}

// newDCGAN initialises a DCGAN as in the DCGAN paper: weights N(0, 0.02), BatchNorm scales
// N(1, 0.02), shifts and biases 0.
func newDCGAN(a Arch, rng *rand.Rand) *dcgan {
	L := a.upLayers()
	m := &dcgan{arch: a}
	top := 8 * a.NGF // 4×4×(8·ngf) at every size; each layer halves the channels
	normal := func(p *nn.Param, mean, std float64) *nn.Param {
		for i := range p.Data {
			p.Data[i] = float32(mean + std*rng.NormFloat64())
		}
		return p
	}
	bn := func(name string, c int) [2]*nn.Param {
		return [2]*nn.Param{normal(nn.NewParam(name+".gamma", 1, 1, 1, c), 1, 0.02), nn.NewParam(name+".beta", 1, 1, 1, c)}
	}
	m.gLin = normal(nn.NewParam("g.lin", ZDim, 16*top), 0, 0.02)
	m.gBN = append(m.gBN, bn("g.bn0", top))
	m.gBNStats = append(m.gBNStats, nn.NewBNStats(top))
	c := top
	for i := 1; i <= L; i++ {
		out := c / 2
		if i == L {
			out = 1
		}
		m.gConv = append(m.gConv, normal(nn.NewParam(fmt.Sprintf("g.convT%d", i), 16*out, c), 0, 0.02))
		if i < L {
			m.gBN = append(m.gBN, bn(fmt.Sprintf("g.bn%d", i), out))
			m.gBNStats = append(m.gBNStats, nn.NewBNStats(out))
		}
		c = out
	}
	m.gOutBias = nn.NewParam("g.out.bias", 1, 1, 1, 1)

	in := 1
	c = max(1, 8*a.NDF>>(L-1)) // mirrored: 8·ndf channels at 4×4
	m.dInBias = nn.NewParam("d.conv1.bias", 1, 1, 1, c)
	for i := 1; i <= L; i++ {
		m.dConv = append(m.dConv, normal(nn.NewParam(fmt.Sprintf("d.conv%d", i), 16*in, c), 0, 0.02))
		if i > 1 {
			m.dBN = append(m.dBN, bn(fmt.Sprintf("d.bn%d", i), c))
			m.dBNStats = append(m.dBNStats, nn.NewBNStats(c))
		}
		in = c
		c *= 2
	}
	m.dOut = normal(nn.NewParam("d.out", 16*in, 1), 0, 0.02)
	m.dOutBias = nn.NewParam("d.out.bias", 1, 1, 1, 1)
	return m
}

// gParams and dParams list the learnable tensors in a fixed order (optimiser and checkpoints).
func (m *dcgan) gParams() []*nn.Param {
	ps := []*nn.Param{m.gLin}
	for _, p := range m.gBN {
		ps = append(ps, p[0], p[1])
	}
	ps = append(ps, m.gConv...)
	return append(ps, m.gOutBias)
}

func (m *dcgan) dParams() []*nn.Param {
	ps := append([]*nn.Param{}, m.dConv...)
	ps = append(ps, m.dInBias)
	for _, p := range m.dBN {
		ps = append(ps, p[0], p[1])
	}
	return append(ps, m.dOut, m.dOutBias)
}

func (m *dcgan) bnStats() []*nn.BNStats {
	return append(append([]*nn.BNStats{}, m.gBNStats...), m.dBNStats...)
}

func sizes(ps []*nn.Param) []int {
	s := make([]int, len(ps))
	for i, p := range ps {
		s[i] = len(p.Data)
	}
	return s
}

// gen adds the generator: z (B, ZDim) → images (B, Size, Size, 1) in [-1, 1].
func (m *dcgan) gen(g *nn.Graph, z *nn.Node, mode nn.BNMode) (*nn.Node, error) {
	top := m.gBNStats[0].Mean
	h, err := nn.Dense(z, g.Param(m.gLin), []int{4, 4, len(top)}, false)
	if err != nil {
		return nil, err
	}
	for i := 0; ; i++ {
		if h, err = nn.BatchNormAct(h, g.Param(m.gBN[i][0]), g.Param(m.gBN[i][1]), m.gBNStats[i], mode, 1, 0); err != nil {
			return nil, err
		}
		if h, err = nn.ConvTranspose2D(h, g.Param(m.gConv[i]), 4, 2, 1, true); err != nil {
			return nil, err
		}
		if i == len(m.gConv)-1 {
			break
		}
	}
	return nn.BiasTanh(h, g.Param(m.gOutBias))
}

// disc adds the discriminator: images (N, Size, Size, 1) → logits (N, 1, 1, 1). groups splits the
// batch for BatchNorm (real | fake); inputGrad lets gradients reach the images (generator step).
func (m *dcgan) disc(g *nn.Graph, x *nn.Node, mode nn.BNMode, groups int, inputGrad bool) (*nn.Node, error) {
	if m.perSample {
		groups, mode = x.Shape()[0], nn.BNTrainFrozen
	}
	h, err := nn.Conv2D(x, g.Param(m.dConv[0]), 4, 2, 1, inputGrad)
	if err != nil {
		return nil, err
	}
	if h, err = nn.BiasLeakyReLU(h, g.Param(m.dInBias), 0.2); err != nil {
		return nil, err
	}
	for i := 1; i < len(m.dConv); i++ {
		if h, err = nn.Conv2D(h, g.Param(m.dConv[i]), 4, 2, 1, true); err != nil {
			return nil, err
		}
		bn := m.dBN[i-1]
		if h, err = nn.BatchNormAct(h, g.Param(bn[0]), g.Param(bn[1]), m.dBNStats[i-1], mode, groups, 0.2); err != nil {
			return nil, err
		}
	}
	if h, err = nn.Dense(h, g.Param(m.dOut), []int{1, 1, 1}, true); err != nil {
		return nil, err
	}
	return nn.BiasAdd(h, g.Param(m.dOutBias))
}

// newGraph returns an empty graph in the model's precision.
func (m *dcgan) newGraph() *nn.Graph {
	g := nn.NewGraph()
	g.SetPrecision(m.prec)
	return g
}
