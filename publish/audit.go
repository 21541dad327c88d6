package publish

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/raysynth/raysynth/internal/contract"
	"io"
	"log/slog"
	"maps"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/raysynth/raysynth/manifest"
)

// AuditConfig says what to audit.
type AuditConfig struct {
	Store    Store                 // root to audit (every release below it)
	Keys     []*manifest.PublicKey // keys releases may be signed with
	Policy   Policy
	Progress Reporter
	Log      *slog.Logger
}

// Validate checks the configuration.
func (c AuditConfig) Validate() error {
	if c.Store == nil {
		return errors.New("no location to audit given")
	}
	if len(c.Keys) == 0 {
		return errors.New("no public key given: audit verifies every release's signature (--key, repeatable)")
	}
	return nil
}

// AuditReport is the result of an audit: one entry per release plus what does not belong.
type AuditReport struct {
	Location string          `json:"location"`
	Releases []ReleaseReport `json:"releases"`
	Pointers []PointerReport `json:"pointers"`
	Stray    []string        `json:"stray_objects"` // objects outside any NAME/VERSION/ release or NAME/LATEST
	Findings []string        `json:"findings"`      // location-wide problems
	Failed   int             `json:"failed"`        // releases that failed verification or policy
	OK       bool            `json:"ok"`            // no failure and no finding
}

// ReleaseReport is one release as the audit saw it.
type ReleaseReport struct {
	Dir               string              `json:"dir"` // key path NAME/VERSION relative to the audited root
	Name              string              `json:"name"`
	Version           string              `json:"version"`
	Date              string              `json:"date"`
	KeyHint           string              `json:"key_hint"`
	Signers           map[string]string   `json:"signers"` // file → key hint of its signature
	TagManifestSHA256 string              `json:"tagmanifest_sha256"`
	Signed            bool                `json:"signed"`
	Latest            bool                `json:"latest"`
	Verified          bool                `json:"verified"`
	ImagesPerClass    map[string]int      `json:"images_per_class"`
	PrivacyPassed     bool                `json:"privacy_passed"`
	FailedChecks      []string            `json:"failed_checks"`
	Checks            []CheckNumbers      `json:"checks"`
	Overrides         []manifest.Override `json:"overrides"`
	DPEpsilon         *float64            `json:"dp_epsilon"`
	Problems          []string            `json:"problems"`          // verification problems
	Violations        []string            `json:"policy_violations"` // policy failures
	// CroissantLoads is false when the release verified but its croissant.json would not load
	// in Croissant readers (mlcroissant and the loaders built on it); CroissantWarnings say why.
	// Neither fails the release: its data are intact and signed.
	CroissantLoads    bool     `json:"croissant_loads"`
	CroissantWarnings []string `json:"croissant_warnings"`
	OK                bool     `json:"ok"`
}

// CheckNumbers are a privacy check's key numbers from privacy-report.json (the bundle's copy of privacy/summary.json).
type CheckNumbers = contract.Check

// PointerReport is one NAME/LATEST pointer.
type PointerReport struct {
	Key     string `json:"key"`
	Version string `json:"version"`
	OK      bool   `json:"ok"`
	Problem string `json:"problem,omitempty"`
}

// Audit lists every release under the store root, verifies each in place, checks the policy,
// and flags versions without signatures, objects outside the release layout and LATEST pointers
// to missing or failing versions. It returns a report; the error is only for failures to audit
// at all (listing, reading), never for findings: check [AuditReport.OK].
func Audit(ctx context.Context, cfg AuditConfig) (*AuditReport, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	// The whole store is listed (to find stray objects), so its bound is audit's, not a release's.
	objs, err := cfg.Store.List(withListKeys(ctx, auditListKeys), "")
	if err != nil {
		return nil, err
	}
	rep := &AuditReport{Location: cfg.Store.String(), Releases: []ReleaseReport{}, Pointers: []PointerReport{}, Stray: []string{}, Findings: []string{}}

	// Release folders are those holding bagit.txt, outermost first.
	var dirs []string
	for _, o := range objs {
		if path.Base(o.Key) == manifest.FileBagIt && strings.Contains(o.Key, "/") {
			d := path.Dir(o.Key)
			if !slices.ContainsFunc(dirs, func(x string) bool { return strings.HasPrefix(d+"/", x+"/") }) {
				dirs = append(dirs, d)
			}
		}
	}
	sort.Strings(dirs)
	inRelease := func(k string) bool {
		i := sort.SearchStrings(dirs, k)
		// the containing folder sorts just before k
		for j := i - 1; j >= 0 && j >= i-2; j-- {
			if strings.HasPrefix(k, dirs[j]+"/") {
				return true
			}
		}
		return i < len(dirs) && strings.HasPrefix(k, dirs[i]+"/")
	}
	var pointers []string
	for _, o := range objs {
		switch {
		case inRelease(o.Key):
		case path.Base(o.Key) == LatestName && strings.Contains(o.Key, "/"):
			pointers = append(pointers, o.Key)
		default:
			rep.Stray = append(rep.Stray, o.Key)
		}
	}
	task := start(cfg.Progress, "audit", int64(len(dirs)), "releases")
	byDir := map[string]*ReleaseReport{}
	for _, d := range dirs {
		if err := ctx.Err(); err != nil {
			task.Done()
			return nil, err
		}
		rr := auditRelease(ctx, cfg, d)
		rep.Releases = append(rep.Releases, rr)
		task.Add(1)
	}
	task.Done()
	for i := range rep.Releases {
		byDir[rep.Releases[i].Dir] = &rep.Releases[i]
	}

	names := map[string]bool{}
	for _, d := range dirs {
		names[path.Dir(d)] = true
	}
	for _, k := range pointers {
		pr := PointerReport{Key: k}
		p, err := ReadPointer(ctx, cfg.Store, k)
		switch {
		case err != nil:
			pr.Problem = err.Error()
		default:
			pr.Version = p.Version
			target := byDir[path.Dir(k)+"/"+p.Version]
			newest := newestVerified(rep.Releases, path.Dir(k))
			switch {
			case p.Name != path.Base(path.Dir(k)):
				pr.Problem = fmt.Sprintf("names release %q, but it sits under %q", p.Name, path.Base(path.Dir(k)))
			case target == nil:
				pr.Problem = fmt.Sprintf("points to version %s, which is missing", p.Version)
			case !target.Verified:
				pr.Problem = fmt.Sprintf("points to version %s, which fails verification", p.Version)
			case target.TagManifestSHA256 != p.TagManifestSHA256:
				pr.Problem = fmt.Sprintf("names tag manifest %s but version %s holds %s", short(p.TagManifestSHA256), p.Version, short(target.TagManifestSHA256))
			case newest != nil && compareVersions(newest.Version, p.Version) > 0:
				pr.Problem = fmt.Sprintf("rollback: points to version %s, but version %s is newer and verifies", p.Version, newest.Version)
			default:
				pr.OK = true
				target.Latest = true
			}
		}
		if !pr.OK {
			rep.Findings = append(rep.Findings, fmt.Sprintf("%s: %s", k, pr.Problem))
		}
		rep.Pointers = append(rep.Pointers, pr)
		delete(names, path.Dir(k))
	}
	if cfg.Policy.RequireLatest {
		for n := range names {
			rep.Findings = append(rep.Findings, fmt.Sprintf("%s has no %s pointer (policy require_latest)", n, LatestName))
		}
	}
	for _, s := range rep.Stray {
		rep.Findings = append(rep.Findings, fmt.Sprintf("%s: outside any release (NAME/VERSION/ with %s, or NAME/%s)", s, manifest.FileBagIt, LatestName))
	}
	sort.Strings(rep.Findings)
	for _, r := range rep.Releases {
		if !r.OK {
			rep.Failed++
		}
	}
	rep.OK = rep.Failed == 0 && len(rep.Findings) == 0
	return rep, nil
}

// newestVerified is the highest verified version among the releases in the folder nameDir.
func newestVerified(rs []ReleaseReport, nameDir string) *ReleaseReport {
	var best *ReleaseReport
	for i := range rs {
		r := &rs[i]
		if r.Verified && path.Dir(r.Dir) == nameDir && (best == nil || compareVersions(r.Version, best.Version) > 0) {
			best = r
		}
	}
	return best
}

func short(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

// auditRelease verifies one release folder and checks it against the policy.
func auditRelease(ctx context.Context, cfg AuditConfig, dir string) ReleaseReport {
	rel := &Release{Store: cfg.Store, Dir: dir, Name: path.Base(path.Dir(dir)), Version: path.Base(dir)}
	if path.Dir(dir) == "." {
		rel.Name = ""
	}
	rr := ReleaseReport{Dir: dir, Name: rel.Name, Version: rel.Version, ImagesPerClass: map[string]int{}, Signers: map[string]string{},
		FailedChecks: []string{}, Checks: []CheckNumbers{}, Overrides: []manifest.Override{}, Problems: []string{}, Violations: []string{}, CroissantWarnings: []string{}}
	src := rel.Source()
	if files, err := src.List(ctx); err == nil {
		for _, f := range files {
			if strings.HasSuffix(f.Name, ".sigstore.json") {
				rr.Signed = true
			}
		}
	}
	vr, err := manifest.Verify(ctx, src, manifest.VerifyOptions{Keys: cfg.Keys, Binding: rel.Binding()})
	if vr != nil {
		rr.Signers = vr.Signers
		if vr.Name != "" {
			rr.Name = vr.Name
		}
		if vr.Version != "" {
			rr.Version = vr.Version
		}
		rr.Date, rr.KeyHint, rr.PrivacyPassed = vr.Bagged, vr.KeyHint, vr.PrivacyPassed
		rr.TagManifestSHA256 = vr.TagManifestSHA256
		if vr.ImagesPerClass != nil {
			rr.ImagesPerClass = vr.ImagesPerClass
		}
		rr.FailedChecks = append(rr.FailedChecks, vr.FailedChecks...)
		rr.Overrides = append(rr.Overrides, vr.Overrides...)
		if vr.DP != nil {
			e := vr.DP.Epsilon
			rr.DPEpsilon = &e
		}
		for _, p := range vr.Problems {
			rr.Problems = append(rr.Problems, fmt.Sprintf("%s: %s: %s", p.File, p.Kind, p.Detail))
		}
		for _, w := range vr.Warnings {
			rr.CroissantWarnings = append(rr.CroissantWarnings, w.Detail)
		}
	}
	if err != nil && len(rr.Problems) == 0 {
		rr.Problems = append(rr.Problems, err.Error())
	}
	if !rr.Signed {
		rr.Problems = append(rr.Problems, "no signature (*.sigstore.json) in this version")
	}
	rr.Verified = err == nil && rr.Signed
	rr.CroissantLoads = rr.Verified && len(rr.CroissantWarnings) == 0
	if rr.Verified {
		rr.Checks, rr.Violations = checkPolicy(ctx, cfg.Policy, src, &rr)
	}
	rr.OK = rr.Verified && len(rr.Violations) == 0
	return rr
}

func readJSON(ctx context.Context, src manifest.Source, name string, v any) error {
	rc, err := src.Open(ctx, name)
	if err != nil {
		return err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, 64<<20))
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

func checkPolicy(ctx context.Context, p Policy, src manifest.Source, rr *ReleaseReport) ([]CheckNumbers, []string) {
	var v []string
	checks := []CheckNumbers{}
	var pr contract.PrivacySummary
	if err := readJSON(ctx, src, manifest.FilePrivacyReport, &pr); err != nil {
		v = append(v, fmt.Sprintf("%s unreadable: %v", manifest.FilePrivacyReport, err))
	}
	checks = append(checks, pr.Checks...)
	if len(p.AllowedKeyHints) > 0 {
		files := slices.Sorted(maps.Keys(rr.Signers))
		if len(files) == 0 {
			v = append(v, "no signer recorded; the policy allows only some keys")
		}
		for _, f := range files {
			if h := rr.Signers[f]; !slices.Contains(p.AllowedKeyHints, h) {
				v = append(v, fmt.Sprintf("%s is signed by key %s, which the policy does not allow", f, h))
			}
		}
	}
	if p.requirePassed() && !rr.PrivacyPassed {
		v = append(v, fmt.Sprintf("privacy gate failed (%s)", strings.Join(rr.FailedChecks, ", ")))
	}
	if !p.AllowOverrides && len(rr.Overrides) > 0 {
		for _, o := range rr.Overrides {
			v = append(v, fmt.Sprintf("privacy gate %q overridden: %q", o.Gate, o.Reason))
		}
	}
	for _, rc := range p.RequiredChecks {
		i := slices.IndexFunc(checks, func(c CheckNumbers) bool { return c.Name == rc.Name && c.Class == rc.Class })
		label := rc.Name
		if rc.Class != "" {
			label += " (" + rc.Class + ")"
		}
		if i < 0 {
			v = append(v, fmt.Sprintf("required privacy check %s missing", label))
			continue
		}
		c := checks[i]
		if !c.Passed {
			v = append(v, fmt.Sprintf("required privacy check %s did not pass", label))
		}
		if c.Threshold == nil && (rc.MaxThreshold != nil || rc.MinThreshold != nil) {
			v = append(v, fmt.Sprintf("required privacy check %s has no threshold", label))
			continue
		}
		if rc.MaxThreshold != nil && *c.Threshold > *rc.MaxThreshold {
			v = append(v, fmt.Sprintf("privacy check %s ran with threshold %g, policy allows at most %g", label, *c.Threshold, *rc.MaxThreshold))
		}
		if rc.MinThreshold != nil && *c.Threshold < *rc.MinThreshold {
			v = append(v, fmt.Sprintf("privacy check %s ran with threshold %g, policy requires at least %g", label, *c.Threshold, *rc.MinThreshold))
		}
	}
	if len(p.RequiredRAIFields) > 0 {
		var cr map[string]any
		if err := readJSON(ctx, src, manifest.FileCroissant, &cr); err != nil {
			v = append(v, fmt.Sprintf("%s unreadable: %v", manifest.FileCroissant, err))
		}
		for _, f := range p.RequiredRAIFields {
			if empty(cr[f]) {
				v = append(v, fmt.Sprintf("Croissant field %s missing or empty", f))
			}
		}
	}
	if (p.RequireDP || p.MaxEpsilon != nil) && rr.DPEpsilon == nil {
		v = append(v, "trained without differential privacy; the policy requires it")
	}
	if p.MaxEpsilon != nil && rr.DPEpsilon != nil && *rr.DPEpsilon > *p.MaxEpsilon {
		v = append(v, fmt.Sprintf("DP ε %g exceeds the policy's %g", *rr.DPEpsilon, *p.MaxEpsilon))
	}
	return checks, v
}

func empty(x any) bool {
	switch t := x.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(t) == ""
	case []any:
		return len(t) == 0
	case map[string]any:
		return len(t) == 0
	}
	return false
}
