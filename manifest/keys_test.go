package manifest

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	crand "crypto/rand"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/kms/cliplugin/handler"
)

// pluginName is the test KMS plugin: the test binary, linked under this name, serves the
// sigstore KMS plugin protocol (the same way a hospital's sigstore-kms-<scheme> plugin does).
const pluginName = "sigstore-kms-raysynthtest"
const pluginKeyEnv = "RAYSYNTH_TEST_KMS_KEY"

func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) == pluginName {
		os.Exit(servePlugin())
	}
	code := m.Run()
	cleanupBench()
	os.Exit(code)
}

// pluginSV adds the KMS methods to a plain ECDSA signer-verifier.
type pluginSV struct{ *signature.ECDSASignerVerifier }

func (p pluginSV) CreateKey(context.Context, string) (crypto.PublicKey, error) {
	return p.PublicKey()
}
func (p pluginSV) CryptoSigner(context.Context, func(error)) (crypto.Signer, crypto.SignerOpts, error) {
	return nil, nil, errors.New("not supported by the test plugin")
}
func (p pluginSV) SupportedAlgorithms() []string { return []string{"ecdsa-p256-sha256"} }
func (p pluginSV) DefaultAlgorithm() string      { return "ecdsa-p256-sha256" }

func servePlugin() int {
	args, err := handler.GetPluginArgs(os.Args)
	if err != nil {
		handler.WriteErrorResponse(os.Stdout, err)
		return 1
	}
	data, err := os.ReadFile(os.Getenv(pluginKeyEnv))
	if err != nil {
		handler.WriteErrorResponse(os.Stdout, err)
		return 1
	}
	priv, err := cryptoutils.UnmarshalPEMToPrivateKey(data, nil)
	if err != nil {
		handler.WriteErrorResponse(os.Stdout, err)
		return 1
	}
	sv, err := signature.LoadECDSASignerVerifier(priv.(*ecdsa.PrivateKey), crypto.SHA256)
	if err != nil {
		handler.WriteErrorResponse(os.Stdout, err)
		return 1
	}
	handler.Dispatch(os.Stdout, os.Stdin, args, pluginSV{sv})
	return 0
}

func TestKeyPairFiles(t *testing.T) {
	prefix := filepath.Join(t.TempDir(), "hospital")
	keyPath, pubPath, err := WriteKeyPair(prefix, []byte("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(keyPath)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("%s mode %v, want 0600", keyPath, st.Mode().Perm())
	}
	key, _ := os.ReadFile(keyPath)
	if !strings.HasPrefix(string(key), "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n") {
		t.Errorf("private key PEM type: %.60s", key)
	}
	block, _ := pem.Decode(key)
	for _, want := range []string{`"kdf"`, `"scrypt"`, `"N":65536`, `"nacl/secretbox"`, `"ciphertext"`} {
		// The PEM body is cosign's JSON envelope.
		if block == nil || !strings.Contains(string(block.Bytes), want) {
			t.Errorf("private key envelope lacks %s", want)
		}
	}
	pub, _ := os.ReadFile(pubPath)
	if !strings.HasPrefix(string(pub), "-----BEGIN PUBLIC KEY-----\n") {
		t.Errorf("public key PEM: %.40s", pub)
	}
	if _, _, err := WriteKeyPair(prefix, []byte("x")); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("overwrite: %v", err)
	}
	ctx := context.Background()
	s, err := LoadSigner(ctx, keyPath, func() ([]byte, error) { return []byte("correct horse"), nil })
	if err != nil {
		t.Fatal(err)
	}
	pk, err := LoadPublicKey(ctx, pubPath)
	if err != nil {
		t.Fatal(err)
	}
	if pk.Hint() != s.Public().Hint() {
		t.Error("public key file and private key disagree")
	}
	if _, err := LoadSigner(ctx, keyPath, func() ([]byte, error) { return []byte("wrong"), nil }); !errors.Is(err, ErrPassword) {
		t.Errorf("wrong password: %v", err)
	}
	if _, _, err := GenerateKeyPair(nil); err == nil {
		t.Error("empty password accepted")
	}
}

// TestCosignStyleKey loads a key written the way cosign generate-key-pair writes it (cryptoutils
// with the same scrypt + secretbox envelope), and refuses non-P-256 keys.
func TestCosignStyleKey(t *testing.T) {
	priv, pub, err := cryptoutils.GeneratePEMEncodedECDSAKeyPair(elliptic.P256(), cryptoutils.StaticPasswordFunc([]byte("pw")))
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParsePrivateKeyPEM("cosign.key", priv, func() ([]byte, error) { return []byte("pw"), nil })
	if err != nil {
		t.Fatal(err)
	}
	pk, err := ParsePublicKeyPEM("cosign.pub", pub)
	if err != nil || pk.Hint() != s.Public().Hint() {
		t.Fatalf("%v", err)
	}
	k384, _ := ecdsa.GenerateKey(elliptic.P384(), crand.Reader)
	p384, _ := cryptoutils.MarshalPublicKeyToPEM(k384.Public())
	if _, err := ParsePublicKeyPEM("p384.pub", p384); !errors.Is(err, ErrKeyType) {
		t.Errorf("P-384: %v", err)
	}
}

func TestKMSPlugin(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	if err := os.Symlink(exe, filepath.Join(bin, pluginName)); err != nil {
		t.Fatal(err)
	}
	k, _ := ecdsa.GenerateKey(elliptic.P256(), crand.Reader)
	pemKey, _ := cryptoutils.MarshalPrivateKeyToPEM(k)
	keyFile := filepath.Join(t.TempDir(), "kms.pem")
	os.WriteFile(keyFile, pemKey, 0o600)
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv(pluginKeyEnv, keyFile)

	ctx := context.Background()
	ref := "raysynthtest://hospital-release-key"
	s, err := LoadSigner(ctx, ref, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, 2)
	out := filepath.Join(t.TempDir(), "b")
	if _, err := Build(ctx, f.config(s, out)); err != nil {
		t.Fatal(err)
	}
	pk, err := LoadPublicKey(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := Verify(ctx, DirSource(out), VerifyOptions{Keys: []*PublicKey{pk}}); err != nil {
		t.Fatalf("%v %v", err, res.Problems)
	}
	t.Run("no plugin for the scheme", func(t *testing.T) {
		_, err := LoadPublicKey(ctx, "nosuchkms://release")
		if err == nil || !strings.Contains(err.Error(), "no kms provider") {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("hashivault is linked in", func(t *testing.T) {
		// No Vault server runs here: the provider must be found and then fail to reach the
		// address, rather than report an unknown scheme.
		t.Setenv("VAULT_ADDR", "http://127.0.0.1:1")
		t.Setenv("VAULT_TOKEN", "test-token-not-secret")
		_, err := LoadPublicKey(ctx, "hashivault://release")
		if err == nil || strings.Contains(err.Error(), "no kms provider") {
			t.Fatalf("hashivault:// not served by the linked provider: %v", err)
		}
		if strings.Contains(err.Error(), "test-token-not-secret") {
			t.Fatalf("error repeats the Vault token: %v", err)
		}
	})
}

func TestKeyPairInNewFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys", "2026")
	keyPath, _, err := WriteKeyPair(filepath.Join(dir, "hospital"), []byte("pw"))
	if err != nil {
		t.Fatalf("keygen into a folder that does not exist yet: %v", err)
	}
	st, err := os.Stat(dir)
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("created key folder: %v, mode %v; want 0700", err, st.Mode().Perm())
	}
	if _, err := os.Stat(keyPath); err != nil {
		t.Fatal(err)
	}
}
