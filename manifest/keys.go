package manifest

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/kms"
	// HashiCorp Vault transit keys (hashivault://KEY), linked in: hospitals run Vault on premises.
	_ "github.com/sigstore/sigstore/pkg/signature/kms/hashivault"
	"github.com/sigstore/sigstore/pkg/signature/options"
)

// ErrPassword means the private key could not be decrypted with the password given.
var ErrPassword = errors.New("wrong password for the private key")

// ErrKeyType means a key is not ECDSA P-256, the only kind cosign can both sign blobs with and
// verify offline.
var ErrKeyType = errors.New("key is not ECDSA P-256")

// PublicKey is a key that verifies bundle signatures: from a PEM file (ours or cosign's) or a
// sigstore KMS URI. Its sigstore types stay inside this package.
type PublicKey struct {
	ref  string
	pub  crypto.PublicKey
	ver  signature.Verifier
	hint string
}

// Hint is the key's hint as written in Sigstore bundles: base64 (standard, padded) of the sha256
// of the key's PKIX DER encoding.
func (k *PublicKey) Hint() string { return k.hint }

// String names the key (its file or URI) for messages.
func (k *PublicKey) String() string { return k.ref }

// PEM returns the key as a PEM "PUBLIC KEY" block.
func (k *PublicKey) PEM() ([]byte, error) { return cryptoutils.MarshalPublicKeyToPEM(k.pub) }

// Signer signs bundles with an ECDSA P-256 key from an encrypted PEM file or a KMS.
type Signer struct {
	sv  signature.Signer
	pub *PublicKey
}

// Public returns the signer's public key.
func (s *Signer) Public() *PublicKey { return s.pub }

// isKMSRef tells whether ref names a KMS key (scheme://…) rather than a file.
func isKMSRef(ref string) bool {
	i := strings.Index(ref, "://")
	return i > 0 && !strings.ContainsAny(ref[:i], `/\.`)
}

func newPublicKey(ref string, pub crypto.PublicKey) (*PublicKey, error) {
	ec, ok := pub.(*ecdsa.PublicKey)
	if !ok || ec.Curve != elliptic.P256() {
		return nil, fmt.Errorf("key %s: %w", ref, ErrKeyType)
	}
	der, err := cryptoutils.MarshalPublicKeyToDER(pub)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", ref, err)
	}
	ver, err := signature.LoadECDSAVerifier(ec, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", ref, err)
	}
	sum := sha256.Sum256(der)
	return &PublicKey{ref: ref, pub: pub, ver: ver, hint: base64.StdEncoding.EncodeToString(sum[:])}, nil
}

// ParsePublicKeyPEM reads a PEM "PUBLIC KEY" (as written by keygen or cosign generate-key-pair).
// name is used in messages.
func ParsePublicKeyPEM(name string, data []byte) (*PublicKey, error) {
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(data)
	if err != nil {
		return nil, fmt.Errorf("read public key %s: %w", name, err)
	}
	return newPublicKey(name, pub)
}

// LoadPublicKey loads a public key from a PEM file path or a sigstore KMS URI (hashivault://…, or
// scheme://… served by a sigstore-kms-<scheme> plugin on PATH).
func LoadPublicKey(ctx context.Context, ref string) (*PublicKey, error) {
	if isKMSRef(ref) {
		sv, err := kms.Get(ctx, ref, crypto.SHA256)
		if err != nil {
			return nil, fmt.Errorf("load KMS key %s: %w", ref, err)
		}
		pub, err := sv.PublicKey(options.WithContext(ctx))
		if err != nil {
			return nil, fmt.Errorf("load KMS key %s: %w", ref, err)
		}
		return newPublicKey(ref, pub)
	}
	data, err := readSmallFile(ref, 1<<20)
	if err != nil {
		return nil, fmt.Errorf("read public key: %w", err)
	}
	return ParsePublicKeyPEM(ref, data)
}

// PassFunc returns the password of a private key. It is called only when a key needs one.
type PassFunc func() ([]byte, error)

// LoadSigner loads a signing key from an encrypted PEM file (ENCRYPTED SIGSTORE PRIVATE KEY, as
// written by keygen or cosign generate-key-pair) or a sigstore KMS URI. pass is called for files
// only.
func LoadSigner(ctx context.Context, ref string, pass PassFunc) (*Signer, error) {
	if isKMSRef(ref) {
		sv, err := kms.Get(ctx, ref, crypto.SHA256)
		if err != nil {
			return nil, fmt.Errorf("load KMS key %s: %w", ref, err)
		}
		pub, err := sv.PublicKey(options.WithContext(ctx))
		if err != nil {
			return nil, fmt.Errorf("load KMS key %s: %w", ref, err)
		}
		pk, err := newPublicKey(ref, pub)
		if err != nil {
			return nil, err
		}
		return &Signer{sv: ctxSigner{sv, ctx}, pub: pk}, nil
	}
	data, err := readSmallFile(ref, 1<<20)
	if err != nil {
		return nil, fmt.Errorf("read private key: %w", err)
	}
	return ParsePrivateKeyPEM(ref, data, pass)
}

// ParsePrivateKeyPEM decrypts a private key PEM. name is used in messages.
func ParsePrivateKeyPEM(name string, data []byte, pass PassFunc) (*Signer, error) {
	pf := cryptoutils.PassFunc(func(bool) ([]byte, error) {
		if pass == nil {
			return nil, fmt.Errorf("key %s is encrypted and no password was given", name)
		}
		return pass()
	})
	priv, err := cryptoutils.UnmarshalPEMToPrivateKey(data, pf)
	if err != nil {
		if strings.Contains(err.Error(), "decrypt") {
			return nil, fmt.Errorf("read private key %s: %w", name, ErrPassword)
		}
		return nil, fmt.Errorf("read private key %s: %w", name, err)
	}
	return signerFromPrivate(name, priv)
}

func signerFromPrivate(name string, priv crypto.PrivateKey) (*Signer, error) {
	ec, ok := priv.(*ecdsa.PrivateKey)
	if !ok || ec.Curve != elliptic.P256() {
		return nil, fmt.Errorf("private key %s: %w", name, ErrKeyType)
	}
	sv, err := signature.LoadECDSASignerVerifier(ec, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("private key %s: %w", name, err)
	}
	pk, err := newPublicKey(name, &ec.PublicKey)
	if err != nil {
		return nil, err
	}
	return &Signer{sv: sv, pub: pk}, nil
}

// ctxSigner passes a context to a KMS signer.
type ctxSigner struct {
	signature.Signer
	ctx context.Context
}

func (c ctxSigner) SignMessage(r io.Reader, opts ...signature.SignOption) ([]byte, error) {
	return c.Signer.SignMessage(r, append(opts, options.WithContext(c.ctx))...)
}

// sign returns an ASN.1 DER ECDSA signature over sha256(msg).
func (s *Signer) sign(msg []byte) ([]byte, error) {
	sig, err := s.sv.SignMessage(bytes.NewReader(msg))
	if err != nil {
		return nil, fmt.Errorf("sign with %s: %w", s.pub.ref, err)
	}
	return sig, nil
}

// GenerateKeyPair makes a new ECDSA P-256 key pair: the private key encrypted with password in
// cosign's ENCRYPTED SIGSTORE PRIVATE KEY format, and the public key as PEM. An empty password is
// refused.
func GenerateKeyPair(password []byte) (privPEM, pubPEM []byte, err error) {
	if len(password) == 0 {
		return nil, nil, errors.New("generate key: empty password")
	}
	return cryptoutils.GeneratePEMEncodedECDSAKeyPair(elliptic.P256(), cryptoutils.StaticPasswordFunc(password))
}

// WriteKeyPair generates a key pair and writes prefix.key (mode 0600) and prefix.pub (0644). It
// refuses to overwrite existing files; each file appears only complete.
func WriteKeyPair(prefix string, password []byte) (keyPath, pubPath string, err error) {
	keyPath, pubPath = prefix+".key", prefix+".pub"
	for _, p := range []string{keyPath, pubPath} {
		if _, err := os.Lstat(p); err == nil {
			return "", "", fmt.Errorf("write key pair: %s already exists; choose another --out or remove it", p)
		}
	}
	priv, pub, err := GenerateKeyPair(password)
	if err != nil {
		return "", "", err
	}
	if dir := filepath.Dir(keyPath); dir != "." {
		// the folder holds a private key: readable by its owner only when we create it
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", "", fmt.Errorf("write key pair: create folder %s: %w", dir, err)
		}
	}
	if err := writeFileAtomic(keyPath, priv, 0o600); err != nil {
		return "", "", fmt.Errorf("write private key: %w", err)
	}
	if err := writeFileAtomic(pubPath, pub, 0o644); err != nil {
		os.Remove(keyPath)
		return "", "", fmt.Errorf("write public key: %w", err)
	}
	return keyPath, pubPath, nil
}

// readSmallFile reads a regular file of at most limit bytes.
func readSmallFile(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	return data, nil
}
