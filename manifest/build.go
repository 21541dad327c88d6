package manifest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/raysynth/raysynth/internal/contract"
)

// ErrPrivacyGate is wrapped by Build's error when the privacy gate did not pass and no override
// reason was given. errors.As with *GateError gives the failed checks.
var ErrPrivacyGate = errors.New("privacy gate did not pass")

// ErrLeak is wrapped by Build's error when a file of the bundle would contain something that must
// never leave the hospital (a forbidden string or a real image).
var ErrLeak = errors.New("bundle would leak private data")

// GateError says which privacy checks failed.
type GateError struct{ FailedChecks []string }

func (e *GateError) Error() string {
	if len(e.FailedChecks) == 0 {
		return ErrPrivacyGate.Error()
	}
	return fmt.Sprintf("%s: failed checks: %s", ErrPrivacyGate, strings.Join(e.FailedChecks, ", "))
}

func (e *GateError) Unwrap() error { return ErrPrivacyGate }

// Image is one approved synthetic image to publish.
type Image struct {
	ID        string // file name stem, [A-Za-z0-9._-]
	Class     string // [A-Za-z0-9._-]
	PNG       string // path of the PNG to copy
	SHA256    string // hex sha256 the PNG must have (as approved); "" skips the check
	DICOM     string // path of a DICOM copy, or ""
	Generator string // hex sha256 of the generator checkpoint that made it
	Seed      uint64
	Sample    int64
}

// BuildConfig is everything Build needs. cmd reads the workspace and fills it; manifest never
// reads a workspace itself.
type BuildConfig struct {
	Name         string // release name, [a-z0-9][a-z0-9._-]*
	Version      string // semantic version
	License      string // SPDX id, e.g. CC-BY-4.0
	Description  string
	Organization string // Source-Organization
	Out          string // final folder; must not exist
	Signer       *Signer

	Images []Image
	// Workspace is workspace.json (format, image size, classes, seed), copied into the provenance.
	Workspace json.RawMessage
	// ImageSize is the images' width and height in pixels.
	ImageSize int
	// PrivacySummary is privacy/summary.json ([contract.PrivacySummary]), embedded verbatim as privacy-report.json.
	PrivacySummary []byte
	// Generators are the gan/<class>/summary.json objects ([contract.GANSummary]), copied verbatim.
	Generators []json.RawMessage
	// OverridePrivacyGate, when not empty, is the reason to release although the gate failed.
	OverridePrivacyGate string
	// Phantom says the generators were trained on `raysynth phantom` images, not on patients' X-rays:
	// the card and croissant.json say so, and describe the data as a demo, not for research.
	Phantom bool
	// Evaluation is the measured usefulness of the synthetic images (the evaluate stage's table,
	// Markdown), copied into the card; "" when none was measured (the card says so).
	Evaluation string

	Tool, ToolVersion string
	// Now dates the bundle (Bagging-Date, provenance times); the zero time means time.Now().
	Now time.Time
	// Forbidden lists strings no file of the bundle may contain: the workspace secret, patient
	// pseudonyms, source paths and identifiers, strings from source DICOM headers.
	Forbidden []string
	// RealImageSHA256 lists the hex sha256 of every real image; no bundle file may equal one.
	RealImageSHA256 []string
	// Progress, when set, is called after each copied image.
	Progress func(done, total int)
}

var (
	nameRe   = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	semverRe = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`)
	idRe     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)
	hexRe    = regexp.MustCompile(`^[0-9a-f]{64}$`)
	licRe    = regexp.MustCompile(`^[A-Za-z0-9.+-]{1,64}$`)
)

// Validate checks the configuration before anything is written.
func (c *BuildConfig) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if !nameRe.MatchString(c.Name) {
		bad("name %q: use lowercase letters, digits, '.', '_' or '-' (at most 64)", c.Name)
	}
	if !semverRe.MatchString(c.Version) {
		bad("version %q is not a semantic version like 1.0.0", c.Version)
	}
	if !licRe.MatchString(c.License) {
		bad("license %q is not an SPDX identifier like CC-BY-4.0", c.License)
	}
	for _, s := range []string{c.Description, c.Organization, c.OverridePrivacyGate} {
		if strings.ContainsAny(s, "\r\n\x00") {
			bad("description, organisation and override reason must be one line")
			break
		}
	}
	if c.Out == "" {
		bad("no output folder")
	}
	if c.Signer == nil {
		bad("no signing key")
	}
	if len(c.Images) == 0 {
		bad("no approved images to publish")
	}
	if len(c.PrivacySummary) == 0 {
		bad("no privacy summary")
	}
	if c.ImageSize <= 0 {
		bad("image size %d", c.ImageSize)
	}
	seen := map[string]bool{}
	for _, im := range c.Images {
		switch {
		case !idRe.MatchString(im.ID) || !idRe.MatchString(im.Class):
			bad("image %q of class %q: id and class must be [A-Za-z0-9._-]", im.ID, im.Class)
		case seen[im.Class+"/"+im.ID]:
			bad("image %s/%s listed twice", im.Class, im.ID)
		case im.SHA256 != "" && !hexRe.MatchString(im.SHA256):
			bad("image %s: sha256 %q is not lowercase hex", im.ID, im.SHA256)
		case im.PNG == "":
			bad("image %s: no PNG", im.ID)
		}
		seen[im.Class+"/"+im.ID] = true
		if len(errs) > 10 {
			break
		}
	}
	for _, g := range c.Generators {
		var s contract.GANSummary
		if err := json.Unmarshal(g, &s); err != nil || s.Class == "" {
			bad("a generator summary is not a gan/<class>/summary.json object")
			break
		}
	}
	if len(c.Workspace) > 0 && !json.Valid(c.Workspace) {
		bad("workspace.json is not valid JSON")
	}
	return errors.Join(errs...)
}

// BuildResult describes a finished bundle.
type BuildResult struct {
	Dir               string         `json:"dir"`
	Name              string         `json:"name"`
	Version           string         `json:"version"`
	Images            int            `json:"images"`
	ImagesPerClass    map[string]int `json:"images_per_class"`
	PayloadBytes      int64          `json:"payload_bytes"`
	Files             int            `json:"files"`
	TagManifestSHA256 string         `json:"tagmanifest_sha256"`
	KeyHint           string         `json:"key_hint"`
	PrivacyPassed     bool           `json:"privacy_passed"`
	Overrides         []Override     `json:"overrides"`
}

// Build writes a signed bundle to cfg.Out: it is assembled in a temporary folder beside it and
// renamed into place only when complete and signed. It refuses when the privacy gate failed and no
// override reason is given ([ErrPrivacyGate]), and when any file would contain a forbidden string
// or a real image ([ErrLeak]).
func Build(ctx context.Context, cfg BuildConfig) (*BuildResult, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	ps, err := parsePrivacySummary(cfg.PrivacySummary)
	if err != nil {
		return nil, fmt.Errorf("bundle: privacy summary: %w", err)
	}
	var overrides []Override
	if !*ps.Passed {
		if strings.TrimSpace(cfg.OverridePrivacyGate) == "" {
			return nil, &GateError{FailedChecks: ps.FailedChecks}
		}
		overrides = append(overrides, Override{Gate: privacyGateKey, Reason: cfg.OverridePrivacyGate, FailedChecks: nonNil(ps.FailedChecks)})
	}
	if _, err := os.Lstat(cfg.Out); err == nil {
		return nil, fmt.Errorf("bundle: %s already exists; choose another --out or remove it", cfg.Out)
	}
	now := cfg.Now
	if now.IsZero() {
		now = time.Now()
	}
	now = now.UTC().Truncate(time.Second)
	parent := filepath.Dir(filepath.Clean(cfg.Out))
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(cfg.Out)+".tmp-")
	if err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(tmp)
		}
	}()
	b := &builder{cfg: &cfg, dir: tmp, now: now, privacy: ps, overrides: overrides,
		forbiddenHash: map[string]bool{}, hashes: map[string]string{}, sizes: map[string]int64{},
		leaks: newLeakScanner(cfg.Forbidden)}
	for _, h := range cfg.RealImageSHA256 {
		b.forbiddenHash[strings.ToLower(h)] = true
	}
	res, err := b.build(ctx)
	if err != nil {
		return nil, err
	}
	if err := syncDir(tmp); err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	if err := os.Rename(tmp, cfg.Out); err != nil {
		return nil, fmt.Errorf("bundle: move into place: %w", err)
	}
	done = true
	syncDir(parent)
	res.Dir = cfg.Out
	return res, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

type builder struct {
	cfg           *BuildConfig
	dir           string
	now           time.Time
	privacy       *contract.PrivacySummary
	overrides     []Override
	forbiddenHash map[string]bool
	leaks         *leakScanner
	hashes        map[string]string
	sizes         map[string]int64
	files         int
}

// write stores a generated file and records its hash, after checking it leaks nothing.
func (b *builder) write(name string, data []byte) error {
	if err := b.checkLeak(name, data); err != nil {
		return err
	}
	p := filepath.Join(b.dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		return fmt.Errorf("bundle: write %s: %w", name, err)
	}
	sum := sha256.Sum256(data)
	b.hashes[name] = hex.EncodeToString(sum[:])
	b.sizes[name] = int64(len(data))
	b.files++
	return nil
}

func (b *builder) checkLeak(name string, data []byte) error {
	if b.leaks.found(data) {
		// Never print the forbidden string itself.
		return fmt.Errorf("bundle: %w: %s would contain a private identifier, secret or source string", ErrLeak, name)
	}
	sum := sha256.Sum256(data)
	if b.forbiddenHash[hex.EncodeToString(sum[:])] {
		return fmt.Errorf("bundle: %w: %s is identical to a real image", ErrLeak, name)
	}
	return nil
}

// copyFile copies src to the bundle path name, returning its sha256 and size.
func (b *builder) copyFile(src, name string, checkStrings bool) (string, int64, error) {
	data, err := readSmallFile(src, DefaultMaxFileSize)
	if err != nil {
		return "", 0, fmt.Errorf("bundle: read %s: %w", src, err)
	}
	if strings.HasSuffix(name, ".png") {
		if err := checkPNGHasNoText(data); err != nil {
			return "", 0, fmt.Errorf("bundle: %s: %w", src, err)
		}
	}
	if checkStrings {
		if err := b.write(name, data); err != nil {
			return "", 0, err
		}
	} else {
		sum := sha256.Sum256(data)
		if b.forbiddenHash[hex.EncodeToString(sum[:])] {
			return "", 0, fmt.Errorf("bundle: %w: %s is identical to a real image", ErrLeak, src)
		}
		p := filepath.Join(b.dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return "", 0, fmt.Errorf("bundle: %w", err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return "", 0, fmt.Errorf("bundle: write %s: %w", name, err)
		}
		b.hashes[name] = hex.EncodeToString(sum[:])
		b.sizes[name] = int64(len(data))
		b.files++
	}
	return b.hashes[name], int64(len(data)), nil
}

// checkPNGHasNoText refuses PNGs that carry text or EXIF metadata chunks, which could hold
// identifiers; synthetic images never need them.
func checkPNGHasNoText(data []byte) error {
	const sig = "\x89PNG\r\n\x1a\n"
	if !bytes.HasPrefix(data, []byte(sig)) {
		return errors.New("not a PNG file")
	}
	for p := len(sig); p+8 <= len(data); {
		n := int(binary.BigEndian.Uint32(data[p:]))
		typ := string(data[p+4 : p+8])
		switch typ {
		case "tEXt", "zTXt", "iTXt", "eXIf":
			return fmt.Errorf("PNG carries a %s metadata chunk; synthetic images must carry no text", typ)
		case "IEND":
			return nil
		}
		if n < 0 || p+12+n > len(data) {
			return errors.New("truncated PNG")
		}
		p += 12 + n
	}
	return errors.New("truncated PNG")
}

func (b *builder) build(ctx context.Context) (*BuildResult, error) {
	cfg := b.cfg
	imgs := slices.Clone(cfg.Images)
	slices.SortFunc(imgs, func(x, y Image) int {
		if c := strings.Compare(x.Class, y.Class); c != 0 {
			return c
		}
		return strings.Compare(x.ID, y.ID)
	})
	// 1. Payload images.
	rows := make([]indexRow, 0, len(imgs))
	var payload []ManifestEntry
	var payloadBytes int64
	for i, im := range imgs {
		if i%64 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		rel := "images/" + im.Class + "/" + im.ID + ".png"
		sum, size, err := b.copyFile(im.PNG, "data/"+rel, false)
		if err != nil {
			return nil, err
		}
		if im.SHA256 != "" && sum != im.SHA256 {
			return nil, fmt.Errorf("bundle: approved image %s has sha256 %s, the approved index says %s; re-run the privacy check", im.PNG, sum, im.SHA256)
		}
		row := indexRow{ID: im.ID, Class: im.Class, File: rel, SHA256: sum, Size: size, Generator: im.Generator, Seed: im.Seed, Sample: im.Sample}
		payload = append(payload, ManifestEntry{sum, "data/" + rel})
		payloadBytes += size
		if im.DICOM != "" {
			drel := "images/" + im.Class + "/" + im.ID + ".dcm"
			dsum, dsize, err := b.copyFile(im.DICOM, "data/"+drel, true)
			if err != nil {
				return nil, err
			}
			row.DICOM, row.DICOMSHA256, row.DICOMSize = drel, dsum, dsize
			payload = append(payload, ManifestEntry{dsum, "data/" + drel})
			payloadBytes += dsize
		}
		rows = append(rows, row)
		if cfg.Progress != nil {
			cfg.Progress(i+1, len(imgs))
		}
	}
	if err := b.write(FileIndex, formatIndex(rows)); err != nil {
		return nil, err
	}
	payload = append(payload, ManifestEntry{b.hashes[FileIndex], FileIndex})
	payloadBytes += b.sizes[FileIndex]

	f := b.facts(rows)

	// 2. Tag files.
	if err := b.write(FileManifest, formatManifest(payload)); err != nil {
		return nil, err
	}
	if err := b.write(FileBagIt, []byte(bagitTxt)); err != nil {
		return nil, err
	}
	info := BagInfo{Fields: [][2]string{
		{"Source-Organization", orDefault(cfg.Organization, "unspecified")},
		{"External-Identifier", cfg.Name + "/" + cfg.Version},
		{"External-Description", oneLine(f.description())},
		{"Bagging-Date", b.now.Format("2006-01-02")},
		{"Bag-Software-Agent", cfg.Tool + " " + cfg.ToolVersion},
		{"Payload-Oxum", fmt.Sprintf("%d.%d", payloadBytes, len(payload))},
	}}
	if err := b.write(FileBagInfo, info.Format()); err != nil {
		return nil, err
	}
	report := cfg.PrivacySummary
	if !bytes.HasSuffix(report, []byte("\n")) {
		report = append(slices.Clone(report), '\n')
	}
	if err := b.write(FilePrivacyReport, report); err != nil {
		return nil, err
	}
	if err := b.write(FileReadme, f.card()); err != nil {
		return nil, err
	}
	cj, err := marshalCanonical(f.croissant(b.hashes, b.sizes))
	if err != nil {
		return nil, fmt.Errorf("bundle: croissant.json: %w", err)
	}
	if err := b.write(FileCroissant, cj); err != nil {
		return nil, err
	}
	var tagEntries []ManifestEntry
	for _, name := range tagFilesInTagManifest {
		tagEntries = append(tagEntries, ManifestEntry{b.hashes[name], name})
	}
	tm := formatManifest(tagEntries)
	if err := b.write(FileTagManifest, tm); err != nil {
		return nil, err
	}

	// 3. Provenance and signatures.
	pj, err := marshalCanonical(b.provenance(f))
	if err != nil {
		return nil, fmt.Errorf("bundle: provenance.json: %w", err)
	}
	if err := b.write(FileProvenance, pj); err != nil {
		return nil, err
	}
	tmSig, err := cfg.Signer.signMessageBundle(tm)
	if err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	if err := b.write(FileTagManifestSig, tmSig); err != nil {
		return nil, err
	}
	provSig, err := cfg.Signer.signDSSEBundle(pj)
	if err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	if err := b.write(FileProvenanceSig, provSig); err != nil {
		return nil, err
	}
	return &BuildResult{Name: cfg.Name, Version: cfg.Version, Images: len(rows), ImagesPerClass: f.perClass,
		PayloadBytes: payloadBytes, Files: b.files, TagManifestSHA256: b.hashes[FileTagManifest],
		KeyHint: cfg.Signer.pub.hint, PrivacyPassed: *b.privacy.Passed, Overrides: nonNilOverrides(b.overrides)}, nil
}

func nonNilOverrides(o []Override) []Override {
	if o == nil {
		return []Override{}
	}
	return o
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func (b *builder) provenance(f *facts) statement {
	cfg := b.cfg
	var st statement
	st.Type = statementType
	st.PredicateType = slsaPredicate
	for _, name := range []string{FileTagManifest, FileManifest, FileCroissant, FileIndex, FilePrivacyReport} {
		st.Subject = append(st.Subject, resourceDescriptor{Name: name, Digest: digestSet{b.hashes[name]}})
	}
	bd := &st.Predicate.BuildDefinition
	bd.BuildType = buildType
	bd.ExternalParameters = externalParameters{Name: cfg.Name, Version: cfg.Version, License: cfg.License,
		Description: cfg.Description, Organization: orDefault(cfg.Organization, "unspecified"), OverridePrivacyGate: cfg.OverridePrivacyGate}
	ws := cfg.Workspace
	if len(ws) == 0 {
		ws = json.RawMessage("null")
	}
	gens := slices.Clone(cfg.Generators)
	slices.SortFunc(gens, func(x, y json.RawMessage) int {
		var a, c contract.GANSummary
		json.Unmarshal(x, &a)
		json.Unmarshal(y, &c)
		return strings.Compare(a.Class, c.Class)
	})
	if gens == nil {
		gens = []json.RawMessage{}
	}
	policy := b.privacy.Policy
	if len(policy) == 0 {
		policy = json.RawMessage("null")
	}
	bd.InternalParameters = internalParameters{
		Workspace:  ws,
		Generators: gens,
		Generation: f.generation,
		Privacy: privacyFacts{Passed: *b.privacy.Passed, FailedChecks: nonNil(b.privacy.FailedChecks), Policy: policy,
			ReportSHA256: b.hashes[FilePrivacyReport]},
		Overrides: nonNilOverrides(b.overrides),
	}
	bd.ResolvedDependencies = []resourceDescriptor{}
	for _, g := range f.gans {
		if g.CheckpointSHA256 != "" {
			bd.ResolvedDependencies = append(bd.ResolvedDependencies, resourceDescriptor{
				Name: "gan/" + g.Class + "/" + g.Checkpoint, Digest: digestSet{g.CheckpointSHA256}})
		}
		if g.TrainFingerprint != "" {
			bd.ResolvedDependencies = append(bd.ResolvedDependencies, resourceDescriptor{
				Name: "training-index/" + g.Class, Digest: digestSet{g.TrainFingerprint}})
		}
	}
	rd := &st.Predicate.RunDetails
	rd.Builder.ID = builderID
	rd.Builder.Version = map[string]string{orDefault(cfg.Tool, "raysynth"): orDefault(cfg.ToolVersion, "dev")}
	rd.Metadata.InvocationID = cfg.Name + "/" + cfg.Version
	rd.Metadata.StartedOn = b.now.Format(time.RFC3339)
	rd.Metadata.FinishedOn = b.now.Format(time.RFC3339)
	rd.Byproducts = []resourceDescriptor{{Name: FilePrivacyReport, Digest: digestSet{b.hashes[FilePrivacyReport]}}}
	return st
}

// sizeCategory is the Hugging Face size bucket for n examples.
func sizeCategory(n int) string {
	switch {
	case n < 1000:
		return "n<1K"
	case n < 10000:
		return "1K<n<10K"
	case n < 100000:
		return "10K<n<100K"
	case n < 1000000:
		return "100K<n<1M"
	}
	return "1M<n<10M"
}
