package manifest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"runtime"
	"slices"
	"strings"
	"sync"
)

// ErrVerification is wrapped by the error [Verify] returns when it found any problem.
var ErrVerification = errors.New("bundle verification failed")

// Kinds of [Problem].
const (
	KindSignature    = "signature"     // a signature does not verify, or signs other content
	KindHashMismatch = "hash-mismatch" // a file's sha256 differs from its manifest
	KindMissing      = "missing"       // a file the manifests or the layout require is absent
	KindUnexpected   = "unexpected"    // a file no manifest lists
	KindWrongKey     = "wrong-key"     // signed, but by a key other than the ones given
	KindMalformed    = "malformed"     // a file cannot be parsed or disagrees with the manifests
	KindUnsafePath   = "unsafe-path"   // .., absolute, symlink, device, non-UTF-8 name
	KindTooLarge     = "too-large"     // larger than the manifests say (not read beyond that)
	KindPayloadOxum  = "payload-oxum"  // Payload-Oxum disagrees with the payload found
	KindBinding      = "name-version"  // the bundle's name or version is not the one its location gives
	KindLatest       = "latest"        // the LATEST pointer names other content than the release holds
	KindRollback     = "rollback"      // LATEST names an older version than the highest signed one present
	KindNotChecked   = "not-checked"   // files left unread because the signature failed
)

// Problem is one thing wrong with a bundle: the file (as a printable bundle path), the kind and
// what exactly is wrong.
type Problem struct {
	File   string `json:"file"`
	Kind   string `json:"kind"`
	Detail string `json:"detail"`
}

func (p Problem) String() string { return fmt.Sprintf("%s: %s: %s", p.File, p.Kind, p.Detail) }

// VerifyOptions configures [Verify].
type VerifyOptions struct {
	// Keys are the trusted public keys; a bundle signed by any of them is accepted.
	Keys []*PublicKey
	// MaxFileSize bounds how much of a file whose size no manifest states is read
	// (0 = DefaultMaxFileSize).
	MaxFileSize int64
	// Workers hash payload files in parallel (0 = GOMAXPROCS, at most 8).
	Workers int
	// Binding, when set, is what the bundle's location says it is; a bundle that says otherwise
	// fails with a [KindBinding] or [KindLatest] problem.
	Binding *Binding
}

// Binding is what a bundle's location says about it: a release stored under NAME/VERSION, and
// the LATEST pointer it was reached through. Empty fields are not checked.
type Binding struct {
	Where   string // the location, for messages (s3://bucket/prefix/chest/1.0.0)
	Name    string // NAME of the location (and of the pointer)
	Version string // VERSION of the location (and of the pointer)
	// Pointer names the LATEST object the release was reached through; TagManifestSHA256 is the
	// hash it names.
	Pointer           string
	TagManifestSHA256 string
}

// DefaultMaxFileSize is the read limit for files whose size no manifest states.
const DefaultMaxFileSize = 256 << 20

// maxInMemory bounds the tag files Verify holds in memory.
const maxInMemory = 64 << 20

// Bounds on the files read before any signature has verified: a hostile bundle costs at most
// their sum.
const (
	maxTagManifest = 1 << 20  // tagmanifest-sha256.txt lists six files
	maxSigBundle   = 1 << 20  // a message-signature bundle is about 1 KB
	maxProvenance  = 16 << 20 // provenance.json: a few KB per class
	maxDSSEBundle  = 24 << 20 // provenance.sigstore.json holds provenance.json in base64
)

// notCheckedFile is the Problem.File of the problem that counts the files left unread.
const notCheckedFile = "(other files)"

// VerifyResult is what [Verify] learned about a bundle. The facts are meaningful only when
// Problems is empty.
type VerifyResult struct {
	Source  string `json:"source"`
	Name    string `json:"name"`
	Version string `json:"version"`
	// KeyHint is the key that signed the tag manifest; Signers lists the key of every signature
	// (file → key hint), which may differ when several keys are trusted.
	KeyHint string            `json:"key_hint"`
	Signers map[string]string `json:"signers"`
	// HighestSignedVersion is set when the release was reached through LATEST: the highest
	// version under the release name whose signature verifies.
	HighestSignedVersion string         `json:"highest_signed_version,omitempty"`
	ImagesPerClass       map[string]int `json:"images_per_class"`
	Images               int            `json:"images"`
	PrivacyPassed        bool           `json:"privacy_passed"`
	FailedChecks         []string       `json:"failed_checks"`
	Overrides            []Override     `json:"overrides"`
	DP                   *DP            `json:"dp"`
	Bagged               string         `json:"bagging_date"`
	TagManifestSHA256    string         `json:"tagmanifest_sha256"`
	PayloadBytes         int64          `json:"payload_bytes"`
	Files                int            `json:"files"`
	Problems             []Problem      `json:"problems"`
	// Warnings do not fail verification: the bundle is intact and signed, but something in it
	// will not work as a researcher expects ([KindCroissantLoad]: croissant.json would not load
	// in Croissant readers).
	Warnings []Problem `json:"warnings"`
}

// OK reports whether the bundle verified.
func (r *VerifyResult) OK() bool { return len(r.Problems) == 0 }

type verifier struct {
	ctx    context.Context
	src    Source
	opts   VerifyOptions
	res    *VerifyResult
	mu     sync.Mutex
	seen   map[string]bool // file+kind already reported
	safe   map[string]FileInfo
	bad    map[string]bool   // entries reported as unsafe
	hashes map[string]string // computed sha256 of files read
	sizes  map[string]int64  // sizes of files read
	expect map[string]int64  // trusted sizes (-1 unknown)
	listed map[string]ManifestEntry
	bagID  string // bag-info.txt External-Identifier
}

func (v *verifier) add(file, kind, detail string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	k := file + "\x00" + kind
	if v.seen[k] {
		return
	}
	v.seen[k] = true
	v.res.Problems = append(v.res.Problems, Problem{File: printable(file), Kind: kind, Detail: detail})
}

// Verify checks a bundle: the signature bundles against the keys, every hash in both manifests,
// that no file is missing or extra and Payload-Oxum matches, and that croissant.json and
// provenance.json are well formed and agree with the manifests. It streams every file through
// sha256, reads at most the stated size + 1 bytes of any file, and never opens an unsafe entry.
// The result lists every problem; the error wraps [ErrVerification] when there is any. Other
// errors (the source cannot be listed, no key) come with a nil result.
func Verify(ctx context.Context, src Source, opts VerifyOptions) (*VerifyResult, error) {
	if len(opts.Keys) == 0 {
		return nil, errors.New("verify: no public key given")
	}
	if opts.MaxFileSize <= 0 {
		opts.MaxFileSize = DefaultMaxFileSize
	}
	if opts.Workers <= 0 {
		opts.Workers = min(runtime.GOMAXPROCS(0), 8)
	}
	files, err := src.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("verify %s: %w", src, err)
	}
	v := &verifier{ctx: ctx, src: src, opts: opts,
		res:  &VerifyResult{Source: src.String(), ImagesPerClass: map[string]int{}, Signers: map[string]string{}, Warnings: []Problem{}},
		seen: map[string]bool{}, safe: map[string]FileInfo{}, bad: map[string]bool{},
		hashes: map[string]string{}, sizes: map[string]int64{}, expect: map[string]int64{}, listed: map[string]ManifestEntry{}}
	v.run(files)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	slices.SortStableFunc(v.res.Problems, func(a, b Problem) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		return strings.Compare(a.Kind, b.Kind)
	})
	if n := len(v.res.Problems); n > 0 {
		return v.res, fmt.Errorf("%w: %s: %d problem(s)", ErrVerification, src, n)
	}
	return v.res, nil
}

func (v *verifier) run(files []FileInfo) {
	// 0. The listing: reject unsafe entries without opening them.
	for _, f := range files {
		if why := checkName(f.Name); why != "" {
			v.add(f.Name, KindUnsafePath, why)
			v.bad[f.Name] = true
			continue
		}
		switch {
		case f.Symlink || f.Mode&fs.ModeSymlink != 0:
			v.add(f.Name, KindUnsafePath, "symbolic link")
			v.bad[f.Name] = true
			continue
		case !f.Mode.IsRegular():
			v.add(f.Name, KindUnsafePath, "not a regular file ("+f.Mode.Type().String()+")")
			v.bad[f.Name] = true
			continue
		}
		v.safe[f.Name] = f
		v.res.Files++
	}

	// 1. Signatures. Until the tag manifest's signature verifies, nothing the files say is
	// trusted: only these four small files are read, each within a fixed bound.
	tm, tmOK := v.readAll(FileTagManifest, maxTagManifest)
	if tmOK {
		sum := sha256.Sum256(tm)
		v.res.TagManifestSHA256 = hex.EncodeToString(sum[:])
		v.hashes[FileTagManifest] = v.res.TagManifestSHA256
	}
	signed := false
	if sig, ok := v.readAll(FileTagManifestSig, maxSigBundle); ok && tmOK {
		signed = v.checkMessageSig(sig, tm)
	}
	prov, provOK := v.readAll(FileProvenance, maxProvenance)
	if provOK {
		sum := sha256.Sum256(prov)
		v.hashes[FileProvenance] = hex.EncodeToString(sum[:])
	}
	if sig, ok := v.readAll(FileProvenanceSig, maxDSSEBundle); ok && provOK {
		v.checkDSSE(sig, prov)
	}
	if b := v.opts.Binding; b != nil && b.TagManifestSHA256 != "" && tmOK && b.TagManifestSHA256 != v.res.TagManifestSHA256 {
		v.add(FileTagManifest, KindLatest, fmt.Sprintf("has sha256 %s, but %s names %s: the pointer is wrong or the release was replaced",
			v.res.TagManifestSHA256, orDefault(b.Pointer, "the LATEST pointer"), b.TagManifestSHA256))
	}
	if !signed {
		unread := 0
		for name := range v.safe {
			if _, read := v.hashes[name]; !read && name != FileTagManifestSig && name != FileProvenanceSig {
				unread++
			}
		}
		for _, name := range tagFilesInTagManifest {
			if _, ok := v.safe[name]; !ok && !v.bad[name] {
				v.add(name, KindMissing, "required file is absent")
			}
		}
		if unread > 0 {
			v.add(notCheckedFile, KindNotChecked, fmt.Sprintf("%d other file(s) not read: without a valid signature over %s nothing the bundle says is trusted", unread, FileTagManifest))
		}
		return
	}

	// 2. Tag files listed in the tag manifest.
	tags := map[string][]byte{}
	var cr *croissant
	if tmOK {
		entries, err := ParseManifest(tm)
		if err != nil {
			v.add(FileTagManifest, KindMalformed, err.Error())
		}
		// croissant.json first: once its hash matches, its FileObjects give the sizes of the
		// other tag files, and no more than that is read of them.
		slices.SortStableFunc(entries, func(a, b ManifestEntry) int {
			return boolInt(b.Path == FileCroissant) - boolInt(a.Path == FileCroissant)
		})
		for _, e := range entries {
			if strings.HasPrefix(e.Path, "data/") || e.Path == FileTagManifest || strings.HasSuffix(e.Path, ".sigstore.json") {
				v.add(FileTagManifest, KindMalformed, "lists "+e.Path+", which is not a tag file")
				continue
			}
			v.listed[e.Path] = e
			data, ok := v.readAll(e.Path, -1)
			if !ok {
				continue
			}
			got := v.hashes[e.Path]
			if got != e.SHA256 {
				v.add(e.Path, KindHashMismatch, fmt.Sprintf("sha256 %s, %s says %s", got, FileTagManifest, e.SHA256))
			}
			tags[e.Path] = data
			if e.Path == FileCroissant {
				cr = v.parseCroissant(data, got == e.SHA256)
			}
		}
		for _, name := range tagFilesInTagManifest {
			if _, ok := v.listed[name]; !ok {
				v.add(FileTagManifest, KindMalformed, "does not list "+name)
			}
		}
	}
	if data := tags[FileBagIt]; data != nil && !bytes.HasPrefix(data, []byte("BagIt-Version: ")) {
		v.add(FileBagIt, KindMalformed, "no BagIt-Version line")
	}

	// 3. The payload.
	var payload []ManifestEntry
	if data := tags[FileManifest]; data != nil {
		var err error
		payload, err = ParseManifest(data)
		if err != nil {
			v.add(FileManifest, KindMalformed, err.Error())
		}
	}
	var index []indexRow
	payloadSet := map[string]string{}
	for _, e := range payload {
		if !strings.HasPrefix(e.Path, "data/") {
			v.add(FileManifest, KindMalformed, "lists "+e.Path+", which is outside data/")
			continue
		}
		payloadSet[e.Path] = e.SHA256
	}
	indexTrusted := false
	if want, ok := payloadSet[FileIndex]; ok {
		if data, ok := v.readAll(FileIndex, -1); ok {
			if got := v.hashes[FileIndex]; got != want {
				v.add(FileIndex, KindHashMismatch, fmt.Sprintf("sha256 %s, %s says %s", got, FileManifest, want))
			} else {
				e, listed := v.listed[FileManifest]
				indexTrusted = listed && e.SHA256 == v.hashes[FileManifest]
			}
			var err error
			index, err = parseIndex(data)
			if err != nil {
				v.add(FileIndex, KindMalformed, err.Error())
			}
		}
	} else if payload != nil {
		v.add(FileManifest, KindMalformed, "does not list "+FileIndex)
	}
	for _, r := range index {
		if !indexTrusted {
			break // a tampered index does not get to say how much is read
		}
		v.expect["data/"+r.File] = r.Size
		if r.DICOM != "" {
			v.expect["data/"+r.DICOM] = r.DICOMSize
		}
	}
	var rest []ManifestEntry
	for _, e := range payload {
		if _, ok := payloadSet[e.Path]; ok && e.Path != FileIndex {
			rest = append(rest, e)
		}
	}
	v.hashPayload(rest)

	// 4. Missing and extra files, Payload-Oxum.
	expected := map[string]bool{FileTagManifest: true, FileTagManifestSig: true, FileProvenance: true, FileProvenanceSig: true}
	for p := range v.listed {
		expected[p] = true
	}
	for p := range payloadSet {
		expected[p] = true
	}
	for _, name := range append([]string{FileTagManifest, FileTagManifestSig, FileProvenance, FileProvenanceSig}, tagFilesInTagManifest...) {
		if _, ok := v.safe[name]; !ok && !v.bad[name] {
			v.add(name, KindMissing, "required file is absent")
		}
	}
	var names []string
	for name := range v.safe {
		names = append(names, name)
	}
	slices.Sort(names)
	var payloadBytes, payloadFiles int64
	for _, name := range names {
		if !expected[name] {
			v.add(name, KindUnexpected, "no manifest lists this file")
			continue
		}
		if strings.HasPrefix(name, "data/") {
			payloadBytes += v.safe[name].Size
			payloadFiles++
		}
	}
	v.res.PayloadBytes = payloadBytes
	if data := tags[FileBagInfo]; data != nil {
		info, err := ParseBagInfo(data)
		if err != nil {
			v.add(FileBagInfo, KindMalformed, err.Error())
		} else {
			v.res.Bagged = info.Get("Bagging-Date")
			v.bagID = info.Get("External-Identifier")
			ob, of, err := info.Oxum()
			switch {
			case err != nil:
				v.add(FileBagInfo, KindMalformed, err.Error())
			case ob != payloadBytes || of != payloadFiles || of != int64(len(payloadSet)):
				v.add(FileBagInfo, KindPayloadOxum, fmt.Sprintf("Payload-Oxum %d.%d, payload found %d.%d, manifest lists %d files",
					ob, of, payloadBytes, payloadFiles, len(payloadSet)))
			}
		}
	}

	// 5. croissant.json, index.csv and provenance.json agree with the manifests.
	v.checkCroissant(cr, payloadSet)
	v.checkIndex(index, payloadSet)
	if data := tags[FileCroissant]; data != nil && cr != nil {
		var header []string
		if index != nil {
			header = indexHeader
		}
		paths := make([]string, 0, len(payloadSet))
		for p := range payloadSet {
			paths = append(paths, p)
		}
		slices.Sort(paths)
		for _, w := range croissantLoadProblems(data, header, index, paths) {
			v.res.Warnings = append(v.res.Warnings, Problem{File: FileCroissant, Kind: KindCroissantLoad, Detail: w})
		}
	}
	if provOK {
		v.checkProvenance(prov, tags[FilePrivacyReport], index)
	}
	v.checkIdentity(tags[FileBagInfo] != nil)
}

// checkIdentity checks that bag-info.txt's External-Identifier is the NAME/VERSION croissant.json
// and provenance.json give, and that this is the release the location names.
func (v *verifier) checkIdentity(haveBagInfo bool) {
	name, version := v.res.Name, v.res.Version
	if name == "" && version == "" {
		return
	}
	if haveBagInfo && v.bagID != name+"/"+version {
		v.add(FileBagInfo, KindMalformed, fmt.Sprintf("External-Identifier %q, croissant.json names %s/%s", printable(v.bagID), printable(name), printable(version)))
	}
	b := v.opts.Binding
	if b == nil {
		return
	}
	if (b.Name != "" && b.Name != name) || (b.Version != "" && b.Version != version) {
		want := b.Name + " " + b.Version
		if b.Name == "" {
			want = "version " + b.Version
		}
		v.add(FileCroissant, KindBinding, fmt.Sprintf("the bundle is %s %s, but its location %s says %s: signed files were copied to another name or version",
			printable(name), printable(version), printable(b.Where), printable(want)))
	}
}

// limitFor returns how many bytes of name may be read.
func (v *verifier) limitFor(name string, cap int64) int64 {
	if want, ok := v.expect[name]; ok && want >= 0 {
		return min(want, v.opts.MaxFileSize, maxInMemory)
	}
	if cap > 0 {
		return cap
	}
	return min(v.opts.MaxFileSize, maxInMemory)
}

// readAll reads a small file whole (cap < 0 means the in-memory default), recording its hash.
func (v *verifier) readAll(name string, cap int64) ([]byte, bool) {
	fi, ok := v.safe[name]
	if !ok {
		if !v.bad[name] {
			v.add(name, KindMissing, "file is absent")
		}
		return nil, false
	}
	limit := v.limitFor(name, cap)
	if fi.Size > limit {
		v.add(name, KindTooLarge, fmt.Sprintf("%d bytes, at most %d expected; not read", fi.Size, limit))
		return nil, false
	}
	rc, err := v.src.Open(v.ctx, name)
	if err != nil {
		v.add(name, KindMissing, "cannot open: "+err.Error())
		return nil, false
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		v.add(name, KindMissing, "cannot read: "+err.Error())
		return nil, false
	}
	if int64(len(data)) > limit {
		v.add(name, KindTooLarge, fmt.Sprintf("more than %d bytes; stopped reading", limit))
		return nil, false
	}
	sum := sha256.Sum256(data)
	v.mu.Lock()
	v.hashes[name] = hex.EncodeToString(sum[:])
	v.sizes[name] = int64(len(data))
	v.mu.Unlock()
	return data, true
}

// hashPayload streams the payload files through sha256 on several workers.
func (v *verifier) hashPayload(entries []ManifestEntry) {
	jobs := make(chan ManifestEntry)
	var wg sync.WaitGroup
	for range v.opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 64<<10)
			h := sha256.New()
			for e := range jobs {
				v.hashOne(e, h, buf)
			}
		}()
	}
	for i, e := range entries {
		if i%256 == 0 && v.ctx.Err() != nil {
			break
		}
		jobs <- e
	}
	close(jobs)
	wg.Wait()
}

type resetHash interface {
	io.Writer
	Reset()
	Sum([]byte) []byte
}

func (v *verifier) hashOne(e ManifestEntry, h resetHash, buf []byte) {
	fi, ok := v.safe[e.Path]
	if !ok {
		if !v.bad[e.Path] {
			v.add(e.Path, KindMissing, "listed in "+FileManifest+" but absent")
		}
		return
	}
	limit := v.opts.MaxFileSize
	if want, ok := v.expect[e.Path]; ok && want >= 0 {
		limit = min(want, v.opts.MaxFileSize)
	}
	if fi.Size > limit {
		v.add(e.Path, KindTooLarge, fmt.Sprintf("%d bytes, %s says %d; not read", fi.Size, FileIndex, limit))
		return
	}
	rc, err := v.src.Open(v.ctx, e.Path)
	if err != nil {
		v.add(e.Path, KindMissing, "cannot open: "+err.Error())
		return
	}
	defer rc.Close()
	h.Reset()
	n, err := io.CopyBuffer(h, io.LimitReader(rc, limit+1), buf)
	if err != nil {
		v.add(e.Path, KindMissing, "cannot read: "+err.Error())
		return
	}
	if n > limit {
		v.add(e.Path, KindTooLarge, fmt.Sprintf("more than %d bytes; stopped reading", limit))
		return
	}
	var sum [sha256.Size]byte
	got := hex.EncodeToString(h.Sum(sum[:0]))
	if got != e.SHA256 {
		v.add(e.Path, KindHashMismatch, fmt.Sprintf("sha256 %s, %s says %s", got, FileManifest, e.SHA256))
	}
}

func (v *verifier) keyHints() string {
	var hs []string
	for _, k := range v.opts.Keys {
		hs = append(hs, k.hint)
	}
	return strings.Join(hs, ", ")
}

func (v *verifier) hasHint(h string) bool {
	for _, k := range v.opts.Keys {
		if k.hint == h {
			return true
		}
	}
	return false
}

// checkMessageSig verifies tagmanifest-sha256.txt.sigstore.json over tm and reports whether it
// verified with one of the keys.
func (v *verifier) checkMessageSig(data, tm []byte) bool {
	hint, err := checkMessageSig(data, tm, v.opts.Keys)
	if err != nil {
		var se *sigError
		if errors.As(err, &se) && se.kind == KindSignature && se.hint != "" {
			v.sigFailure(FileTagManifestSig, FileTagManifest, se.hint)
		} else if errors.As(err, &se) {
			v.add(FileTagManifestSig, se.kind, se.msg)
		}
		return false
	}
	v.res.KeyHint = hint
	v.res.Signers[FileTagManifest] = hint
	return true
}

// sigError is why a message signature does not verify.
type sigError struct{ kind, msg, hint string }

func (e *sigError) Error() string { return e.msg }

// checkMessageSig verifies a message-signature bundle over tm with keys and returns the hint of
// the key that verified it, or a *sigError.
func checkMessageSig(data, tm []byte, keys []*PublicKey) (string, error) {
	b, err := parseSigBundle(data)
	if err != nil {
		return "", &sigError{kind: KindMalformed, msg: err.Error()}
	}
	if b.IsDSSE {
		return "", &sigError{kind: KindMalformed, msg: "holds a DSSE envelope, want a message signature"}
	}
	sum := sha256.Sum256(tm)
	if !bytes.Equal(sum[:], b.Digest) {
		return "", &sigError{kind: KindSignature, msg: "the signed digest is not the sha256 of " + FileTagManifest}
	}
	for _, k := range keys {
		if k.ver.VerifySignature(bytes.NewReader(b.Signature), bytes.NewReader(tm)) == nil {
			return k.hint, nil
		}
	}
	return "", &sigError{kind: KindSignature, msg: "the signature over " + FileTagManifest + " does not verify", hint: orDefault(b.Hint, "?")}
}

func (v *verifier) sigFailure(file, what, hint string) {
	if hint != "" && hint != "?" && !v.hasHint(hint) {
		v.add(file, KindWrongKey, fmt.Sprintf("%s is signed by key %s, not by the trusted key(s) %s", what, hint, v.keyHints()))
		return
	}
	v.add(file, KindSignature, fmt.Sprintf("the signature over %s does not verify with key %s", what, v.keyHints()))
}

// checkDSSE verifies provenance.sigstore.json and that its payload is provenance.json.
func (v *verifier) checkDSSE(data, prov []byte) {
	b, err := parseSigBundle(data)
	if err != nil {
		v.add(FileProvenanceSig, KindMalformed, err.Error())
		return
	}
	if !b.IsDSSE {
		v.add(FileProvenanceSig, KindMalformed, "holds a message signature, want a DSSE envelope")
		return
	}
	if b.PayloadType != inTotoPayloadType {
		v.add(FileProvenanceSig, KindMalformed, fmt.Sprintf("payload type %q, want %s", printable(b.PayloadType), inTotoPayloadType))
		return
	}
	msg := pae(b.PayloadType, b.Payload)
	verified := ""
	for _, sig := range b.DSSESigs {
		for _, k := range v.opts.Keys {
			if verified == "" && k.ver.VerifySignature(bytes.NewReader(sig), bytes.NewReader(msg)) == nil {
				verified = k.hint
			}
		}
	}
	if verified == "" {
		v.sigFailure(FileProvenanceSig, "the provenance statement", b.Hint)
		return
	}
	v.res.Signers[FileProvenance] = verified
	if !bytes.Equal(b.Payload, prov) {
		v.add(FileProvenance, KindSignature, "differs from the statement signed in "+FileProvenanceSig)
	}
}

// VerifyTagManifest checks that sigBundle (tagmanifest-sha256.txt.sigstore.json) signs tm
// (tagmanifest-sha256.txt) with one of keys, and returns the key's hint and the tag files tm
// lists. It is the first step of [Verify], for callers (fetch) that must know what a release
// lists before reading anything else of it. Errors wrap [ErrVerification].
func VerifyTagManifest(tm, sigBundle []byte, keys []*PublicKey) (string, []ManifestEntry, error) {
	if len(tm) > maxTagManifest || len(sigBundle) > maxSigBundle {
		return "", nil, fmt.Errorf("%w: %s or its signature is larger than %d bytes", ErrVerification, FileTagManifest, maxTagManifest)
	}
	hint, err := checkMessageSig(sigBundle, tm, keys)
	if err != nil {
		var se *sigError
		if errors.As(err, &se) && se.hint != "" {
			return "", nil, fmt.Errorf("%w: %s: signed by key %s, which is not a trusted key or does not verify", ErrVerification, FileTagManifestSig, se.hint)
		}
		return "", nil, fmt.Errorf("%w: %s: %v", ErrVerification, FileTagManifestSig, err)
	}
	entries, err := ParseManifest(tm)
	if err != nil {
		return "", nil, fmt.Errorf("%w: %s: %v", ErrVerification, FileTagManifest, err)
	}
	return hint, entries, nil
}

// Identity is what a bundle's signed tag files say it is.
type Identity struct {
	Name, Version     string // from bag-info.txt's External-Identifier NAME/VERSION
	KeyHint           string // the key that signed the tag manifest
	TagManifestSHA256 string
}

// SignedIdentity reads only tagmanifest-sha256.txt, its signature and bag-info.txt (each at most
// 1 MB), checks the signature with keys and bag-info.txt's hash, and returns the NAME/VERSION
// bag-info.txt gives. It is a cheap check (three small reads) of versions a reader does not
// download, e.g. to find the highest signed version of a release. Errors wrap [ErrVerification]
// when the bundle is not signed by the keys or does not say what it is.
func SignedIdentity(ctx context.Context, src Source, keys []*PublicKey) (Identity, error) {
	read := func(name string) ([]byte, error) {
		rc, err := src.Open(ctx, name)
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		data, err := io.ReadAll(io.LimitReader(rc, maxTagManifest+1))
		if err == nil && len(data) > maxTagManifest {
			err = fmt.Errorf("%w: %s is larger than %d bytes", ErrVerification, name, maxTagManifest)
		}
		return data, err
	}
	var id Identity
	tm, err := read(FileTagManifest)
	if err != nil {
		return id, err
	}
	sig, err := read(FileTagManifestSig)
	if err != nil {
		return id, err
	}
	hint, entries, err := VerifyTagManifest(tm, sig, keys)
	if err != nil {
		return id, err
	}
	bi, err := read(FileBagInfo)
	if err != nil {
		return id, err
	}
	sum := sha256.Sum256(bi)
	i := slices.IndexFunc(entries, func(e ManifestEntry) bool { return e.Path == FileBagInfo })
	if i < 0 || entries[i].SHA256 != hex.EncodeToString(sum[:]) {
		return id, fmt.Errorf("%w: %s differs from the signed %s", ErrVerification, FileBagInfo, FileTagManifest)
	}
	info, err := ParseBagInfo(bi)
	if err != nil {
		return id, fmt.Errorf("%w: %s: %v", ErrVerification, FileBagInfo, err)
	}
	name, version, ok := strings.Cut(info.Get("External-Identifier"), "/")
	if !ok || name == "" || version == "" {
		return id, fmt.Errorf("%w: %s has no External-Identifier NAME/VERSION", ErrVerification, FileBagInfo)
	}
	tsum := sha256.Sum256(tm)
	return Identity{Name: name, Version: version, KeyHint: hint, TagManifestSHA256: hex.EncodeToString(tsum[:])}, nil
}
