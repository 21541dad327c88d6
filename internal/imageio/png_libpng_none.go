//go:build !(cgo && libpng)

package imageio

import "image"

// Without the libpng build tag (or without cgo) every PNG is decoded by Go's image/png.
func decodeGray8PNG([]byte) (*image.Gray, bool, error) { return nil, false, nil }
