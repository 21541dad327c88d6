package manifest

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Names of the bundle's fixed files.
const (
	FileBagIt          = "bagit.txt"
	FileBagInfo        = "bag-info.txt"
	FileManifest       = "manifest-sha256.txt"
	FileTagManifest    = "tagmanifest-sha256.txt"
	FileCroissant      = "croissant.json"
	FileReadme         = "README.md"
	FilePrivacyReport  = "privacy-report.json"
	FileProvenance     = "provenance.json"
	FileTagManifestSig = "tagmanifest-sha256.txt.sigstore.json"
	FileProvenanceSig  = "provenance.sigstore.json"
	FileIndex          = "data/index.csv"
)

// tagFilesInTagManifest are the tag files tagmanifest-sha256.txt lists, in order. provenance.json
// is not among them: its DSSE signature covers it, and its subjects include the tag manifest.
var tagFilesInTagManifest = []string{FileBagIt, FileBagInfo, FileManifest, FileCroissant, FileReadme, FilePrivacyReport}

const bagitTxt = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"

// ManifestEntry is one line of a BagIt manifest: a hex sha256 and a slash path.
type ManifestEntry struct {
	SHA256 string
	Path   string
}

// ParseManifest parses a BagIt sha256 manifest (manifest-sha256.txt or tagmanifest-sha256.txt):
// lines "<64 lowercase hex>  <path>" (two spaces; one space or a tab is accepted on reading, as
// RFC 8493 allows any whitespace), LF or CRLF. Paths must be clean, relative and unique;
// percent-encoded CR, LF and % (RFC 8493 §2.1.3) are decoded.
func ParseManifest(data []byte) ([]ManifestEntry, error) {
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("manifest is not valid UTF-8")
	}
	var out []ManifestEntry
	seen := map[string]bool{}
	lines := strings.Split(string(data), "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	for i, line := range lines {
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			return nil, fmt.Errorf("line %d: empty line", i+1)
		}
		sp := strings.IndexAny(line, " \t")
		if sp < 0 {
			return nil, fmt.Errorf("line %d: want \"<sha256>  <path>\"", i+1)
		}
		sum := line[:sp]
		p := strings.TrimLeft(line[sp:], " \t")
		if strings.HasPrefix(p, "*") && sp+2 <= len(line) && line[sp:sp+2] == " *" {
			p = p[1:] // sha256sum binary marker
		}
		if len(sum) != 64 || strings.ToLower(sum) != sum {
			return nil, fmt.Errorf("line %d: %q is not a lowercase hex sha256", i+1, printable(sum))
		}
		if _, err := hex.DecodeString(sum); err != nil {
			return nil, fmt.Errorf("line %d: %q is not a lowercase hex sha256", i+1, printable(sum))
		}
		p, err := decodeBagPath(p)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		if why := checkName(p); why != "" {
			return nil, fmt.Errorf("line %d: path %q: %s", i+1, printable(p), why)
		}
		if seen[p] {
			return nil, fmt.Errorf("line %d: %s listed twice", i+1, p)
		}
		seen[p] = true
		out = append(out, ManifestEntry{SHA256: sum, Path: p})
	}
	return out, nil
}

func decodeBagPath(p string) (string, error) {
	if !strings.Contains(p, "%") {
		return p, nil
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] != '%' {
			b.WriteByte(p[i])
			continue
		}
		if i+3 > len(p) {
			return "", fmt.Errorf("bad percent escape in %q", printable(p))
		}
		switch strings.ToUpper(p[i : i+3]) {
		case "%0A":
			b.WriteByte('\n')
		case "%0D":
			b.WriteByte('\r')
		case "%25":
			b.WriteByte('%')
		default:
			return "", fmt.Errorf("bad percent escape in %q", printable(p))
		}
		i += 2
	}
	return b.String(), nil
}

// formatManifest writes entries sorted by path, two spaces between hash and path, LF endings.
// Paths are validated by the caller (they never contain CR, LF or %).
func formatManifest(entries []ManifestEntry) []byte {
	entries = slices.Clone(entries)
	slices.SortFunc(entries, func(a, b ManifestEntry) int { return strings.Compare(a.Path, b.Path) })
	var buf bytes.Buffer
	for _, e := range entries {
		fmt.Fprintf(&buf, "%s  %s\n", e.SHA256, e.Path)
	}
	return buf.Bytes()
}

// BagInfo is bag-info.txt: ordered "Label: value" lines.
type BagInfo struct {
	Fields [][2]string
}

// Get returns the first value of label ("" when absent).
func (b BagInfo) Get(label string) string {
	for _, f := range b.Fields {
		if strings.EqualFold(f[0], label) {
			return f[1]
		}
	}
	return ""
}

// Oxum parses Payload-Oxum ("<bytes>.<files>").
func (b BagInfo) Oxum() (bytes, files int64, err error) {
	v := b.Get("Payload-Oxum")
	if v == "" {
		return 0, 0, fmt.Errorf("no Payload-Oxum")
	}
	a, c, ok := strings.Cut(v, ".")
	if !ok {
		return 0, 0, fmt.Errorf("Payload-Oxum %q is not <bytes>.<files>", v)
	}
	bytes, err1 := strconv.ParseInt(a, 10, 64)
	files, err2 := strconv.ParseInt(c, 10, 64)
	if err1 != nil || err2 != nil || bytes < 0 || files < 0 {
		return 0, 0, fmt.Errorf("Payload-Oxum %q is not <bytes>.<files>", v)
	}
	return bytes, files, nil
}

// ParseBagInfo parses bag-info.txt (RFC 8493 §2.2.2): "Label: value" lines, continuation lines
// starting with whitespace, LF or CRLF.
func ParseBagInfo(data []byte) (BagInfo, error) {
	var b BagInfo
	if !utf8.Valid(data) {
		return b, fmt.Errorf("bag-info is not valid UTF-8")
	}
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			if len(b.Fields) == 0 {
				return b, fmt.Errorf("line %d: continuation line before any label", i+1)
			}
			b.Fields[len(b.Fields)-1][1] += " " + strings.TrimSpace(line)
			continue
		}
		label, value, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(label) == "" || label != strings.TrimSpace(label) {
			return b, fmt.Errorf("line %d: want \"Label: value\"", i+1)
		}
		b.Fields = append(b.Fields, [2]string{label, strings.TrimSpace(value)})
	}
	return b, nil
}

// Format writes bag-info.txt lines in order, LF endings. Values must not contain line breaks.
func (b BagInfo) Format() []byte {
	var buf bytes.Buffer
	for _, f := range b.Fields {
		fmt.Fprintf(&buf, "%s: %s\n", f[0], f[1])
	}
	return buf.Bytes()
}
