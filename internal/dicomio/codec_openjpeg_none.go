//go:build !(cgo && openjpeg)

package dicomio

// Without the openjpeg build tag (or without cgo) this build has no decoder for the transfer syntaxes
// of this library; they are refused with a [MissingCodecError] naming the Debian package.
var (
	openjpegDecode  decodeFunc
	openjpegVersion = func() string { return "" }
)
