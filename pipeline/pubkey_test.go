package pipeline

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/raysynth/raysynth/internal/bundletest"
	"github.com/raysynth/raysynth/internal/workspace"
	"github.com/raysynth/raysynth/manifest"
)

func TestPublicKey(t *testing.T) {
	ctx := context.Background()
	signer, err := manifest.ParsePrivateKeyPEM("hospital.key", bundletest.KeyPEM(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	pem, err := signer.Public().PEM()
	if err != nil {
		t.Fatal(err)
	}
	_, otherPEM, err := manifest.GenerateKeyPair([]byte("other"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	key := write("hospital.key", bundletest.KeyPEM(t))
	beside := write("hospital.pub", pem)
	other := write("other.pub", otherPEM)
	lone := filepath.Join(dir, "lone.key") // no .pub beside it
	ws := &workspace.Workspace{Dir: filepath.Join(dir, "ws")}

	for _, tc := range []struct{ name, key, pub, want string }{
		{"given", lone, beside, beside},
		{"beside the key", key, "", beside},
		{"written to the workspace", lone, "", ws.Path("run", "signer.pub")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := PublicKey(ctx, ws, tc.key, tc.pub, signer)
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	if b, err := os.ReadFile(ws.Path("run", "signer.pub")); err != nil || !bytes.Equal(b, pem) {
		t.Errorf("signer.pub is not the signer's public half: %v", err)
	}
	_, err = PublicKey(ctx, ws, key, other, signer)
	var km *KeyMismatchError
	if !errors.As(err, &km) || km.Pub != other || km.Key != key || km.KeyHint != signer.Public().Hint() || km.PubHint == km.KeyHint {
		t.Errorf("another key's public half: %v", err)
	}
	if _, err := PublicKey(ctx, ws, key, filepath.Join(dir, "none.pub"), signer); err == nil || errors.As(err, &km) {
		t.Errorf("a missing public key: %v", err)
	}
}
