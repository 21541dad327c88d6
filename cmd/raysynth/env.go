package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

// Environment variables, all in one registry (STYLE rule 3). Flags name theirs in their help.
const (
	envWorkspace    = "RAYSYNTH_WORKSPACE"
	envLogFormat    = "RAYSYNTH_LOG_FORMAT"
	envPassword     = "RAYSYNTH_PASSWORD"
	envCosignPass   = "COSIGN_PASSWORD"
	envTestdata     = "RAYSYNTH_TESTDATA"
	envAccessKey    = "AWS_ACCESS_KEY_ID"
	envSecretKey    = "AWS_SECRET_ACCESS_KEY"
	envSession      = "AWS_SESSION_TOKEN"
	envRegion       = "AWS_REGION"
	envEndpointS3   = "AWS_ENDPOINT_URL_S3"
	envEndpoint     = "AWS_ENDPOINT_URL"
	envBLASCore     = "OPENBLAS_CORETYPE"
	envReexec       = "RAYSYNTH_REEXEC"
	envRSCore       = "RAYSYNTH_BLAS_CORETYPE"
	envReplacedCore = "RAYSYNTH_REPLACED_CORETYPE"
	envTerm         = "TERM"
)

type envVar struct {
	name, meaning string
	secret        bool
}

var envVars = []envVar{
	{envWorkspace, "workspace folder (--workspace)", false},
	{envLogFormat, "log format, text or json (--log-format)", false},
	{envPassword, "password of the signing key (keygen, bundle, run)", true},
	{envCosignPass, "password of the signing key, cosign's name (used when RAYSYNTH_PASSWORD is unset)", true},
	{envTestdata, "folder of the shared real data for tests and the demo (default ../shared/data)", false},
	{envAccessKey, "S3 access key id", false},
	{envSecretKey, "S3 secret access key", true},
	{envSession, "S3 session token", true},
	{envRegion, "S3 region (default us-east-1)", false},
	{envEndpointS3, "S3 endpoint URL (--endpoint)", false},
	{envEndpoint, "S3 endpoint URL when AWS_ENDPOINT_URL_S3 is unset", false},
	{envBLASCore, "OpenBLAS core type; on AVX-512 CPUs raysynth uses SkylakeX when it is unset or names a core without AVX-512", false},
	{envRSCore, "OpenBLAS core type raysynth uses as given (e.g. Haswell, to keep a preset OPENBLAS_CORETYPE)", false},
	{envReexec, "set by raysynth itself when it restarts with OPENBLAS_CORETYPE; do not set", false},
	{envReplacedCore, "set by raysynth itself: the OPENBLAS_CORETYPE it replaced; do not set", false},
	{envTerm, "dumb turns the progress bars into plain lines", false},
	// Read by sigstore's hashivault provider for --key hashivault://KEY (keygen, bundle, verify).
	{"VAULT_ADDR", "Vault/OpenBao address for hashivault:// keys", false},
	{"BAO_ADDR", "OpenBao address when VAULT_ADDR is unset", false},
	{"VAULT_TOKEN", "Vault token for hashivault:// keys (else ~/.vault-token)", true},
	{"BAO_TOKEN", "OpenBao token when VAULT_TOKEN is unset", true},
	{"TRANSIT_SECRET_ENGINE_PATH", "Vault transit engine path for hashivault:// keys (default transit)", false},
	{"VAULT_KEY_PREFIX", "prefix of Vault signatures (default vault:v1:)", false},
	{"VAULT_*", "other settings of HashiCorp's Vault client (VAULT_CACERT, VAULT_NAMESPACE, VAULT_SKIP_VERIFY, …)", false},
}

func newEnvCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "env",
		Short: "List the environment variables raysynth reads",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tSECRET\tMEANING")
			for _, e := range envVars {
				s := "no"
				if e.secret {
					s = "yes"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\n", e.name, s, e.meaning)
			}
			return tw.Flush()
		},
	}
}
