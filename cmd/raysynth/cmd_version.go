package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/raysynth/raysynth/internal/blas"
	"github.com/raysynth/raysynth/internal/dicomio"
	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=…" by the Makefile.
var version = "dev"

// commit is set at build time; when empty the VCS stamp from the Go build is used.
var commit = ""

func buildCommit() string {
	if commit != "" {
		return commit
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return "unknown"
}

func versionString() string { return fmt.Sprintf("%s (commit %s)", version, buildCommit()) }

type versionInfo struct {
	Version   string          `json:"version"`
	Commit    string          `json:"commit"`
	Go        string          `json:"go"`
	OS        string          `json:"os"`
	Arch      string          `json:"arch"`
	BLAS      string          `json:"blas"`
	BLASCore  string          `json:"blas_core,omitempty"`
	CoreEnv   string          `json:"openblas_coretype_env,omitempty"`
	Replaced  string          `json:"openblas_coretype_replaced,omitempty"` // the preset raysynth replaced
	BF16      string          `json:"bf16"`
	HasBF16   bool            `json:"bf16_hardware"`
	GOMAXPROC int             `json:"gomaxprocs"`
	Codecs    []dicomio.Codec `json:"dicom_codecs"`
}

type versionOptions struct {
	verbose bool
	json    bool
}

func newVersionCmd(g *globals) *cobra.Command {
	var o versionOptions
	c := &cobra.Command{
		Use:   "version",
		Short: "Print the version, the commit and (with --verbose) the BLAS and DICOM codecs in use",
		Example: `  raysynth version
  raysynth version --verbose --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			info := versionInfo{
				Version: version, Commit: buildCommit(), Go: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH,
				BLAS: blas.Backend(), BLASCore: blas.CoreType(), CoreEnv: os.Getenv(envBLASCore), Replaced: replacedCore(), BF16: blas.BF16Backend(), HasBF16: blas.HasBF16(), GOMAXPROC: runtime.GOMAXPROCS(0),
				Codecs: dicomio.Codecs(),
			}
			if o.json {
				return g.printJSON(info)
			}
			fmt.Fprintf(g.stdout, "raysynth %s\n", versionString())
			if o.verbose {
				fmt.Fprintf(g.stdout, "go:        %s %s/%s, GOMAXPROCS %d\n", info.Go, info.OS, info.Arch, info.GOMAXPROC)
				core := ""
				if info.BLASCore != "" {
					core = " (core " + info.BLASCore + ")"
				}
				if info.Replaced != "" {
					core += ", replacing " + envBLASCore + "=" + info.Replaced + " from the environment"
				}
				fmt.Fprintf(g.stdout, "blas:      %s%s\n", info.BLAS, core)
				auto := ""
				if !info.HasBF16 {
					auto = "; --precision auto trains in fp32"
				}
				fmt.Fprintf(g.stdout, "bf16:      %s%s\n", info.BF16, auto)
				fmt.Fprintln(g.stdout, "DICOM codecs (transfer syntaxes: library):")
				for _, c := range info.Codecs {
					state := c.Version
					if !c.Available {
						state = fmt.Sprintf("MISSING: install %s and rebuild (build tag %s)", c.Package, c.BuildTag)
					}
					if state != "" {
						state = " " + state
					}
					fmt.Fprintf(g.stdout, "  %s: %s%s [%s]\n", strings.Join(c.TransferSyntaxes, ", "), c.Library, state, c.Licence)
				}
			}
			return nil
		},
	}
	c.Flags().BoolVar(&o.verbose, "verbose", false, "also print the Go runtime, the BLAS and the DICOM codecs in this build")
	c.Flags().BoolVar(&o.json, "json", false, "print JSON")
	return c
}
