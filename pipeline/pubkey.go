package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/raysynth/raysynth/internal/workspace"
	"github.com/raysynth/raysynth/manifest"
)

// KeyMismatchError is a public key given for a release that is not the public half of the key
// that signs it.
type KeyMismatchError struct {
	Pub, PubHint string // the public key given and its hint
	Key, KeyHint string // the signing key and its hint
}

func (e *KeyMismatchError) Error() string {
	return fmt.Sprintf("public key %s (hint %s) is not the public half of --key %s (hint %s)", e.Pub, e.PubHint, e.Key, e.KeyHint)
}

// PublicKey is what publish and verify check run's release with: pub when given (it must be the
// public half of signer, else a [*KeyMismatchError]); else the key reference itself for a KMS
// key, KEY.pub beside a KEY.key file, or the public half written to WORKSPACE/run/signer.pub.
func PublicKey(ctx context.Context, ws *workspace.Workspace, key, pub string, signer *manifest.Signer) (string, error) {
	if pub == "" {
		switch {
		case strings.Contains(key, "://"):
			pub = key // a KMS key is its own public reference
		case strings.HasSuffix(key, ".key"):
			if p := strings.TrimSuffix(key, ".key") + ".pub"; fileExists(p) {
				pub = p
			}
		}
	}
	if pub == "" {
		pem, err := signer.Public().PEM()
		if err != nil {
			return "", err
		}
		pub = ws.Path("run", "signer.pub")
		if err := os.MkdirAll(filepath.Dir(pub), 0o755); err != nil {
			return "", err
		}
		return pub, os.WriteFile(pub, pem, 0o644)
	}
	pk, err := manifest.LoadPublicKey(ctx, pub)
	if err != nil {
		return "", fmt.Errorf("public key %s: %w", pub, err)
	}
	if pk.Hint() != signer.Public().Hint() {
		return "", &KeyMismatchError{Pub: pub, PubHint: pk.Hint(), Key: key, KeyHint: signer.Public().Hint()}
	}
	return pub, nil
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }
