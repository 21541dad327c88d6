package train

import (
	"bufio"
	"encoding/json"
	"image"
	"math"
	"os"

	"github.com/raysynth/raysynth/internal/fsutil"
	"github.com/raysynth/raysynth/internal/imageio"
)

// gridImage lays n images (size×size values in [-1,1]) out in rows of `cols` with a 2-pixel gap.
func gridImage(imgs []float32, n, size, cols int) *image.Gray {
	rows := (n + cols - 1) / cols
	const gap = 2
	w := cols*size + (cols+1)*gap
	h := rows*size + (rows+1)*gap
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = 40
	}
	for k := 0; k < n; k++ {
		tile := imageio.FromFloat(imgs[k*size*size:(k+1)*size*size], size, size)
		x0 := gap + (k%cols)*(size+gap)
		y0 := gap + (k/cols)*(size+gap)
		for y := 0; y < size; y++ {
			copy(g.Pix[(y0+y)*g.Stride+x0:], tile.Pix[y*size:(y+1)*size])
		}
	}
	return g
}

// sampleSpread is the mean RMS difference between consecutive generated images: near 0 means
// the generator makes (almost) the same image whatever z is, a sign of mode collapse.
func sampleSpread(imgs []float32, n, pix int) float64 {
	if n < 2 {
		return math.Inf(1)
	}
	var total float64
	for k := 0; k+1 < n; k++ {
		a, b := imgs[k*pix:(k+1)*pix], imgs[(k+1)*pix:(k+2)*pix]
		var s float64
		for i := range a {
			d := float64(a[i] - b[i])
			s += d * d
		}
		total += math.Sqrt(s / float64(pix))
	}
	return total / float64(n-1)
}

// logEntry is one line of train-log.jsonl.
type logEntry struct {
	Type    string   `json:"type"` // "step" or "epoch"
	Epoch   int      `json:"epoch"`
	Step    int64    `json:"step,omitempty"`
	DLoss   float64  `json:"d_loss"`
	GLoss   float64  `json:"g_loss"`
	Seconds float64  `json:"seconds,omitempty"`
	Spread  *float64 `json:"sample_spread,omitempty"`
	Warning []string `json:"warnings,omitempty"`
}

// readLog reads the training log, keeping only entries up to epoch keep (completed epochs).
func readLog(path string, keep int) ([]logEntry, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []logEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var e logEntry
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			continue // a line cut by a crash
		}
		if (e.Type == "step" && e.Epoch <= keep) || (e.Type == "epoch" && e.Epoch <= keep) {
			out = append(out, e)
		}
	}
	return out, sc.Err()
}

// writeLog rewrites the training log atomically.
func writeLog(path string, entries []logEntry) error {
	var buf []byte
	for _, e := range entries {
		b, _ := json.Marshal(e)
		buf = append(append(buf, b...), '\n')
	}
	return fsutil.WriteFile(path, buf, 0o644)
}
