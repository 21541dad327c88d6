package manifest

// EmptyTrustedRoot is a Sigstore trusted root with no authorities, no transparency logs and no
// timestamp authorities. cosign v2 refuses Sigstore v0.3 bundles without a trusted root even
// with --key ("trusted root is required when using new bundle format") and, offline, cannot
// fetch the public-good one; given this one, cosign v2 and v3 rely on the key alone. It is made
// by the researcher, never shipped in a bundle: trust material must not come from the files
// being checked.
const EmptyTrustedRoot = `{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}`

// StandardToolCommands are the commands that check a bundle without raysynth, offline, with
// cosign v2 or v3 and coreutils: run in one POSIX shell (sh, bash, zsh) in the bundle folder,
// with key the publisher's public key file or KMS URI, already quoted for a shell if it needs
// it. They write an empty trusted root to a fresh temporary file, verify both signatures with
// the key alone, check that provenance.json is the statement cosign verified (cosign checks the
// DSSE payload, not the file beside it), then hash every tag file and payload file.
//
// The bundle's README.md repeats them and `raysynth verify` prints them; TestCosignInterop runs
// them with real cosign v2 and v3.
func StandardToolCommands(key string) []string {
	return []string{
		`ROOT=$(mktemp) && echo '` + EmptyTrustedRoot + `' > "$ROOT"`,
		"cosign verify-blob --key " + key + " --bundle " + FileTagManifestSig +
			` --insecure-ignore-tlog=true --trusted-root "$ROOT" ` + FileTagManifest,
		"cosign verify-blob-attestation --key " + key + " --bundle " + FileProvenanceSig +
			` --type slsaprovenance1 --insecure-ignore-tlog=true --trusted-root "$ROOT" ` + FileTagManifest,
		`grep -o '"payload": *"[^"]*"' ` + FileProvenanceSig + ` | cut -d'"' -f4 | base64 -d | cmp - ` + FileProvenance,
		"sha256sum -c " + FileTagManifest,
		"sha256sum -c " + FileManifest,
	}
}

// StandardToolNote explains the commands of [StandardToolCommands] in one paragraph.
const StandardToolNote = "Run them in one shell, in the bundle folder; they need no network. " +
	"The first line writes an empty Sigstore trusted root to a temporary file: cosign v2 refuses these bundles " +
	"without a trusted root and cannot fetch the public one offline, and with an empty one cosign (v2 or v3) trusts the key alone. " +
	"`--insecure-ignore-tlog=true` because the release was signed with a key, offline, with no transparency-log entry. " +
	"cosign checks the statement inside " + FileProvenanceSig + ", not the " + FileProvenance + " beside it: the grep … | cmp line checks that the file is that statement."
