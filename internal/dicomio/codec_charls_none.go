//go:build !(cgo && charls)

package dicomio

// Without the charls build tag (or without cgo) this build has no decoder for the transfer syntaxes
// of this library; they are refused with a [MissingCodecError] naming the Debian package.
var (
	charlsDecode  decodeFunc
	charlsVersion = func() string { return "" }
)
