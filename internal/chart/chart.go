// Package chart holds the plotting plumbing the stages share: writing a gonum/plot chart as a PNG
// atomically, so a half-drawn picture never sits where a finished one is expected.
//
// # Imports
//
// Only internal/fsutil of this module, and gonum.org/v1/plot.
package chart

import (
	"fmt"

	"github.com/raysynth/raysynth/internal/fsutil"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

// SavePNG writes p as a width × height PNG at path, atomically (a temporary file renamed on
// success).
func SavePNG(p *plot.Plot, path string, width, height vg.Length) error {
	wt, err := p.WriterTo(width, height, "png")
	if err != nil {
		return err
	}
	f, err := fsutil.Create(path, 0o644)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := wt.WriteTo(f); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Commit()
}
