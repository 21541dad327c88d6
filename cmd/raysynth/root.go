package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/raysynth/raysynth/internal/textsafe"
	"github.com/raysynth/raysynth/publish"
	"github.com/spf13/cobra"
)

// globals holds the flags every command shares and what cmd builds from them.
type globals struct {
	workspace string
	logFormat string
	verbose   int
	stdin     io.Reader
	stdout    io.Writer // data: JSON with --json, tables, paths
	stderr    io.Writer // people: logs, progress, hints
	log       *slog.Logger
	s3        publish.Timeouts // deadlines of S3 calls (--s3-*-timeout on the commands that reach S3)
}

// Command groups shown in --help, in the order a steward meets them.
const (
	groupPrepare = "prepare"
	groupTrain   = "train"
	groupRelease = "release"
	groupVerify  = "verify"
	groupOther   = "other"
)

// commands lists every subcommand's constructor. Each lives in its own cmd_<name>.go file.
var commands = []func(*globals) *cobra.Command{
	newPhantomCmd,
	newIngestCmd,
	newTrainCmd,
	newSynthCmd,
	newBenchCmd,
	newVersionCmd,
	newEnvCmd,
	newDPBudgetCmd,
	newPublishCmd,
	newFetchCmd,
	newAuditCmd,
	newPrivacyCmd,
	newKeygenCmd,
	newBundleCmd,
	newVerifyCmd,
	newEvaluateCmd,
	newRunCmd,
}

func newRootCmd(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "raysynth",
		Short: "Share chest X-ray data without sharing patients",
		Long: `raysynth trains generators on a hospital's chest X-rays, makes synthetic images, proves they are
not copies of any patient, and publishes them as a signed bundle researchers verify and auditors inspect.`,
		Example: `  # steward: one command from an export folder to a verified release
  raysynth run --from export/ --labels export/labels.csv --name chest --version 1.0.0 \
      --key hospital.key --to s3://releases/chest
  # researcher: prove a bundle is complete, untampered and signed by the hospital
  raysynth verify ./chest-1.0.0 --key hospital.pub
  # auditor: list and check every release in a bucket
  raysynth audit s3://releases --key hospital.pub --policy audit-policy.yaml`,
		Version:       versionString(),
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			// cobra checks these after this hook and returns plain errors: check them first, as
			// usage errors (exit code 2)
			if err := cmd.ValidateRequiredFlags(); err != nil {
				return usageError{err}
			}
			if err := cmd.ValidateFlagGroups(); err != nil {
				return usageError{err}
			}
			if err := g.setup(); err != nil {
				return err
			}
			if usesBLAS(cmd) {
				if note := blasCoreNote(); note != "" {
					g.log.Info(note)
				}
			}
			return nil
		},
	}
	root.SetIn(g.stdin)
	root.SetOut(g.stdout)
	root.SetErr(g.stderr)
	root.SetVersionTemplate("raysynth {{.Version}}\n")
	pf := root.PersistentFlags()
	pf.StringVar(&g.workspace, "workspace", "", "workspace folder (env RAYSYNTH_WORKSPACE, default ./raysynth-workspace)")
	pf.StringVar(&g.logFormat, "log-format", "text", "log format on stderr: text or json (env RAYSYNTH_LOG_FORMAT)")
	pf.CountVarP(&g.verbose, "verbose", "v", "more detail in logs (repeat for debug)")

	root.AddGroup(
		&cobra.Group{ID: groupPrepare, Title: "Prepare data:"},
		&cobra.Group{ID: groupTrain, Title: "Train and generate:"},
		&cobra.Group{ID: groupRelease, Title: "Check and release:"},
		&cobra.Group{ID: groupVerify, Title: "Verify and audit:"},
		&cobra.Group{ID: groupOther, Title: "Other:"},
	)
	root.SetHelpCommandGroupID(groupOther)
	root.SetCompletionCommandGroupID(groupOther)
	for _, mk := range commands {
		c := mk(g)
		if c.GroupID == "" {
			c.GroupID = groupOther
		}
		root.AddCommand(c)
	}
	wrapArgsErrors(root)
	// the full exit code table on raysynth --help; one line under each command's own help
	root.SetUsageTemplate(root.UsageTemplate() + "{{if .HasParent}}" + exitCodesLine + "{{else}}" + exitCodesHelp + "{{end}}")
	return root
}

// setup resolves the global flags against the environment and builds the logger.
func (g *globals) setup() error {
	if g.workspace == "" {
		g.workspace = os.Getenv(envWorkspace)
	}
	if g.workspace == "" {
		g.workspace = "raysynth-workspace"
	}
	if v := os.Getenv(envLogFormat); v != "" && g.logFormat == "text" {
		g.logFormat = v
	}
	level := slog.LevelWarn
	switch {
	case g.verbose == 1:
		level = slog.LevelInfo
	case g.verbose >= 2:
		level = slog.LevelDebug
	}
	opts := &slog.HandlerOptions{Level: level}
	// Log values can be names from files and buckets: control and bidi characters are escaped
	// (JSON logs stay valid; a handler writes whole records, so no rune is split).
	logw := textsafe.NewWriter(g.stderr)
	switch g.logFormat {
	case "text":
		g.log = slog.New(slog.NewTextHandler(logw, opts))
	case "json":
		g.log = slog.New(slog.NewJSONHandler(logw, opts))
	default:
		return usageErrorf("--log-format must be text or json, not %q", g.logFormat)
	}
	return nil
}

// printJSON writes v to stdout as indented JSON: the --json output of every command.
// escapedStdout returns a copy of g whose stdout escapes control and bidi characters
// (internal/textsafe; JSON stays valid), and the function that flushes it.
func (g *globals) escapedStdout() (*globals, func()) { return g.escapedTo(g.stdout) }

// escapedTo is [globals.escapedStdout] with out (escaped) as the copy's stdout.
func (g *globals) escapedTo(out io.Writer) (*globals, func()) {
	w := textsafe.NewWriter(out)
	c := *g
	c.stdout = w
	return &c, func() { w.Flush() }
}

func (g *globals) printJSON(v any) error {
	enc := json.NewEncoder(g.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// splitList splits a comma-separated flag value into its trimmed, non-empty items; "" and "all"
// give nil (no restriction).
func splitList(s string) []string {
	if s == "" || s == "all" {
		return nil
	}
	var out []string
	for _, c := range strings.Split(s, ",") {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c)
		}
	}
	return out
}

// run executes the command line and returns the process exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	g := &globals{stdin: stdin, stdout: stdout, stderr: stderr, log: slog.New(slog.DiscardHandler)}
	root := newRootCmd(g)
	root.SetArgs(args)
	root.SetFlagErrorFunc(flagError)
	var err error
	if _, _, ferr := root.Find(args); ferr != nil {
		// cobra's only error from Find: an unknown command
		err = unknownCommand(root, args, ferr)
	} else {
		err = root.ExecuteContext(ctx)
	}
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	if err == nil {
		return exitOK
	}
	code := exitCode(err)
	msg := err.Error()
	if code == exitInterrupted {
		msg = "interrupted; run the same command again to resume"
	}
	// Errors quote names from files and buckets: escape control and bidi characters.
	fmt.Fprintf(stderr, "raysynth: error: %s\n", textsafe.Escape(msg))
	if h := hint(err); h != "" {
		for _, line := range strings.Split(h, "\n") {
			fmt.Fprintf(stderr, "raysynth: hint: %s\n", textsafe.Escape(line))
		}
	}
	return code
}

// usageError marks a bad command line (exit code 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usageErrorf(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// hinted attaches a hint for people to an error; cmd prints it after the error.
type hinted struct {
	err  error
	hint string
}

func (e hinted) Error() string { return e.err.Error() }
func (e hinted) Unwrap() error { return e.err }

func withHint(err error, hint string) error {
	if err == nil {
		return nil
	}
	return hinted{err, hint}
}

func hint(err error) string {
	var h hinted
	if errors.As(err, &h) {
		return h.hint
	}
	if isUsage(err) {
		return "see raysynth --help, or raysynth COMMAND --help"
	}
	return ""
}
