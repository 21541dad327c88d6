//go:build !(cgo && gdcmjpeg)

package dicomio

// Without the gdcmjpeg build tag (or without cgo) this build has no decoder for the transfer syntaxes
// of this library; they are refused with a [MissingCodecError] naming the Debian package.
var (
	ijgDecode  decodeFunc
	ijgVersion = func() string { return "" }
)
