package ingest

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/raysynth/raysynth/internal/fsutil"
)

// pseudonymizer derives the workspace's pseudonyms with HMAC-SHA256 under its secret key.
type pseudonymizer struct{ key []byte }

// loadOrCreateSecret reads the workspace secret, creating 32 random bytes (hex, mode 0600) on
// first use. A key readable by others is tightened to 0600.
func loadOrCreateSecret(path string) (*pseudonymizer, bool, error) {
	b, err := os.ReadFile(path)
	created := false
	switch {
	case errors.Is(err, fs.ErrNotExist):
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, false, fmt.Errorf("make workspace secret: %w", err)
		}
		if err := fsutil.WriteFile(path, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
			return nil, false, fmt.Errorf("write workspace secret: %w", err)
		}
		b, created = []byte(hex.EncodeToString(key)), true
	case err != nil:
		return nil, false, fmt.Errorf("read workspace secret %s: %w", path, err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) < 16 {
		return nil, false, fmt.Errorf("workspace secret %s is damaged (want 64 hex digits); restore it from backup: without it the pseudonyms cannot be reproduced", path)
	}
	if st, err := os.Stat(path); err == nil && st.Mode().Perm() != 0o600 {
		if err := os.Chmod(path, 0o600); err != nil {
			return nil, false, err
		}
	}
	return &pseudonymizer{key: key}, created, nil
}

func (p *pseudonymizer) mac(domain, value string, hexDigits int) string {
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte("raysynth/" + domain + "\x00"))
	m.Write([]byte(value))
	return hex.EncodeToString(m.Sum(nil))[:hexDigits]
}

// Image returns the pseudonym of an image from the sha256 of its source file.
func (p *pseudonymizer) Image(sourceSHA string) string { return "r-" + p.mac("image", sourceSHA, 20) }

// Patient returns the pseudonym of a source patient key.
func (p *pseudonymizer) Patient(key string) string { return "p-" + p.mac("patient", key, 16) }

// File returns the reference of a source file in the public report.
func (p *pseudonymizer) File(path string) string { return "f-" + p.mac("file", path, 16) }

// orderKey is the seeded, secret-free sort key of the split and of --keep: the same inputs and
// seed give the same choices in any workspace.
func orderKey(seed uint64, domain, value string) string {
	var s [8]byte
	binary.BigEndian.PutUint64(s[:], seed)
	h := sha256.New()
	h.Write(s[:])
	h.Write([]byte(domain + "\x00" + value))
	return hex.EncodeToString(h.Sum(nil))
}
