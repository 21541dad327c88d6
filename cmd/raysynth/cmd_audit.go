package main

import (
	"context"
	"fmt"
	"os"
	"path"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/raysynth/raysynth/publish"
	"github.com/spf13/cobra"
)

type auditOptions struct {
	keys     []string
	policy   string
	endpoint string
	json     bool
	checks   bool
}

func (o *auditOptions) addFlags(c *cobra.Command) {
	f := c.Flags()
	f.StringArrayVar(&o.keys, "key", nil, "public key releases may be signed with (PEM file or KMS URI; repeatable; required)")
	f.StringVar(&o.policy, "policy", "", "audit policy file (YAML or JSON); default: the privacy gate passed and no overrides")
	addEndpointFlag(f, &o.endpoint)
	f.BoolVar(&o.json, "json", false, "print the report as JSON on stdout")
	f.BoolVar(&o.checks, "checks", false, "print every privacy check of every release with its numbers (default: only failed ones)")
	c.MarkFlagRequired("key")
}

const auditPolicyHelp = `

Policy file (YAML or JSON; unknown fields are errors):
  allowed_key_hints: [HINT, …]     # signer key hints allowed (default: any --key)
  require_privacy_passed: true     # the privacy gate passed (default true)
  allow_overrides: false           # releases whose gate was overridden fail (default)
  required_checks:                 # privacy checks that must be present and pass
    - name: CHECK                  #   as named in privacy-report.json
      class: ""                    #   "" = the overall check
      max_threshold: 0.05          #   the threshold it ran with must be ≤ / ≥ these
      min_threshold: 0.01
  required_rai_fields: [rai:dataCollection, rai:personalSensitiveInformation]
  require_dp: false                # require differentially private training
  max_epsilon: 8                   # and at most this ε
  require_latest: false            # every release name needs a LATEST pointer
`

func newAuditCmd(g *globals) *cobra.Command {
	o := &auditOptions{}
	c := &cobra.Command{
		Use:     "audit s3://BUCKET/PREFIX|DIR --key PUB [--policy FILE]",
		GroupID: groupVerify,
		Short:   "List and check every release in a bucket or folder against an audit policy",
		Long: `audit lists every release under the location (name, version, date, signer key hint, images
per class, privacy gate result with its key numbers, overrides, DP ε), verifies each in place, and
checks the audit policy. It also flags versions without signatures, objects outside the release
layout (PREFIX/NAME/VERSION/… and PREFIX/NAME/LATEST) and LATEST pointers to a missing or failing
version. It prints one line per release and one per problem, alike problems grouped (--checks adds
every privacy check). Exit code 4 when any release or finding fails.` + auditPolicyHelp,
		Example: `  raysynth audit s3://releases --key hospital.pub
  raysynth audit s3://releases --key hospital.pub --key old-hospital.pub --policy audit-policy.yaml --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAudit(cmd.Context(), g, args[0], o)
		},
	}
	o.addFlags(c)
	g.addS3Flags(c)
	return c
}

func runAudit(ctx context.Context, g *globals, where string, o *auditOptions) error {
	// Object keys, names and reasons come from the bucket: escape control and bidi characters.
	g, flush := g.escapedStdout()
	defer flush()
	pol := publish.DefaultPolicy()
	if o.policy != "" {
		data, err := os.ReadFile(o.policy)
		if err != nil {
			return fmt.Errorf("read policy: %w", err)
		}
		if pol, err = publish.ParsePolicy(data); err != nil {
			return withHint(fmt.Errorf("policy %s: %w", o.policy, err), "see raysynth audit --help for the policy fields")
		}
	}
	keys, err := loadKeys(ctx, o.keys)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, g, where, o.endpoint)
	if err != nil {
		return err
	}
	rep, wait := g.newReporter()
	report, err := publish.Audit(ctx, publish.AuditConfig{Store: st, Keys: keys, Policy: pol, Progress: publishProgress{rep}, Log: g.log})
	wait()
	if err != nil {
		return s3Hint(err)
	}
	if o.json {
		if err := g.printJSON(report); err != nil {
			return err
		}
	} else {
		printAudit(g, report, o.checks)
	}
	if !report.OK {
		return verifyFailed(fmt.Errorf("audit of %s: %d of %d releases failed, %d other findings", report.Location, report.Failed, len(report.Releases), len(report.Findings)))
	}
	return nil
}

// printAudit prints one line per release (FOLDER tells apart the same name and version under
// two prefixes), then one line per problem: failed checks, overrides, policy violations, a
// release's verification problems grouped by kind, and objects outside any release grouped by
// folder (an interrupted publish leaves a folder of them). allChecks adds every check's line.
func printAudit(g *globals, r *publish.AuditReport, allChecks bool) {
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RESULT\tNAME\tVERSION\tDATE\tSIGNER\tIMAGES\tPRIVACY\tOVERRIDES\tDP ε\tLATEST\tFOLDER")
	for _, rr := range r.Releases {
		result := "ok"
		if !rr.OK {
			result = "FAIL"
		}
		var classes []string
		for c := range rr.ImagesPerClass {
			classes = append(classes, c)
		}
		sort.Strings(classes)
		var imgs []string
		for _, c := range classes {
			imgs = append(imgs, fmt.Sprintf("%s=%d", c, rr.ImagesPerClass[c]))
		}
		privacy := "passed"
		if !rr.PrivacyPassed {
			privacy = fmt.Sprintf("FAILED(%d)", len(rr.FailedChecks))
		}
		if !rr.Verified {
			privacy = "?"
		}
		eps := "-"
		if rr.DPEpsilon != nil {
			eps = fmt.Sprintf("%.3g", *rr.DPEpsilon)
		}
		signer := rr.KeyHint
		if len(signer) > 12 {
			signer = signer[:12] + "…"
		}
		if !rr.Signed {
			signer = "UNSIGNED"
		}
		latest := "-"
		if rr.Latest {
			latest = "LATEST"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s/\n", result, rr.Name, rr.Version, orDash(rr.Date), signer,
			orDash(strings.Join(imgs, " ")), privacy, len(rr.Overrides), eps, latest, rr.Dir)
	}
	tw.Flush()
	for _, rr := range r.Releases {
		for _, c := range rr.Checks {
			if c.Passed && !allChecks {
				continue
			}
			label := c.Name
			if c.Class != "" {
				label += "/" + c.Class
			}
			result := "passed"
			if !c.Passed {
				result = "FAILED"
			}
			fmt.Fprintf(g.stdout, "%s: check %s %s: %s\n", rr.Dir, label, result, checkNumbers(c))
		}
		for _, o := range rr.Overrides {
			fmt.Fprintf(g.stdout, "%s: override of %s: %q\n", rr.Dir, o.Gate, o.Reason)
		}
		for _, p := range groupProblems(rr.Problems) {
			fmt.Fprintf(g.stdout, "%s: problem: %s\n", rr.Dir, p)
		}
		for _, v := range rr.Violations {
			fmt.Fprintf(g.stdout, "%s: policy: %s\n", rr.Dir, v)
		}
		for _, w := range rr.CroissantWarnings {
			fmt.Fprintf(g.stdout, "%s: croissant: %s\n", rr.Dir, w)
		}
	}
	stray := map[string]bool{}
	for _, k := range r.Stray {
		stray[k] = true
	}
	for _, f := range r.Findings {
		if k, _, ok := strings.Cut(f, ": outside any release"); ok && stray[k] {
			continue
		}
		fmt.Fprintf(g.stdout, "finding: %s\n", f)
	}
	for _, s := range groupStray(r.Stray) {
		fmt.Fprintf(g.stdout, "finding: %s\n", s)
	}
	fmt.Fprintf(g.stdout, "%d releases, %d failed, %d other findings in %s\n", len(r.Releases), r.Failed, len(r.Findings), r.Location)
}

// groupProblems folds a release's "FILE: KIND: DETAIL" problems of one kind into one line when
// there are more than three: "412 files missing (data/a.png, data/b.png, data/c.png, …)".
func groupProblems(problems []string) []string {
	byKind := map[string][]string{}
	var kinds, out []string
	for _, p := range problems {
		parts := strings.SplitN(p, ": ", 3)
		if len(parts) != 3 {
			out = append(out, p)
			continue
		}
		if byKind[parts[1]] == nil {
			kinds = append(kinds, parts[1])
		}
		byKind[parts[1]] = append(byKind[parts[1]], p)
	}
	for _, k := range kinds {
		ps := byKind[k]
		if len(ps) <= 3 {
			out = append(out, ps...)
			continue
		}
		var files []string
		for _, p := range ps[:3] {
			files = append(files, strings.SplitN(p, ": ", 2)[0])
		}
		out = append(out, fmt.Sprintf("%d files %s (%s, …)", len(ps), k, strings.Join(files, ", ")))
	}
	return out
}

// groupStray folds the objects outside any release into one line per folder: the part before
// "/data/" (a release's payload, left by a publish interrupted before its tag files) or the
// object's own folder; up to three in a folder are listed one by one.
func groupStray(keys []string) []string {
	byDir := map[string][]string{}
	var dirs []string
	for _, k := range keys {
		d, _, ok := strings.Cut(k, "/data/")
		if !ok {
			d = path.Dir(k)
		}
		if byDir[d] == nil {
			dirs = append(dirs, d)
		}
		byDir[d] = append(byDir[d], k)
	}
	sort.Strings(dirs)
	var out []string
	for _, d := range dirs {
		ks := byDir[d]
		if len(ks) <= 3 {
			for _, k := range ks {
				out = append(out, fmt.Sprintf("%s: outside any release (NAME/VERSION/ with bagit.txt, or NAME/LATEST)", k))
			}
			continue
		}
		where := d + "/"
		if d == "." {
			where = "the top level"
		}
		msg := fmt.Sprintf("%s: %d objects outside any release (no bagit.txt", where, len(ks))
		if strings.Count(d, "/") >= 1 {
			msg += ": a publish interrupted before its tag files? publish the same bundle again to finish it, or delete them"
		}
		out = append(out, msg+")")
	}
	return out
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// checkNumbers is a check's value with its threshold, and the confidence bound the gate decided
// on and the report's note when there are any: "0.63 (bound 0.3095, threshold 0.52; point
// estimate beyond the threshold, not significantly: …)". Without the bound, a value beyond its
// threshold in a passed release would read like a mistake.
func checkNumbers(c publish.CheckNumbers) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (", fnum(c.Value))
	if c.Bound != nil && (c.Value == nil || *c.Bound != *c.Value) {
		fmt.Fprintf(&b, "bound %s, ", fnum(c.Bound))
	}
	fmt.Fprintf(&b, "threshold %s", fnum(c.Threshold))
	if c.Note != "" {
		b.WriteString("; " + c.Note)
	}
	b.WriteString(")")
	return b.String()
}

func fnum(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.4g", *p)
}
