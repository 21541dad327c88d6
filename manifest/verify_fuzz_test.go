package manifest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

// fuzzBundle is one signed bundle shared by the fuzz targets (built once per process).
var fuzzBundle struct {
	once   sync.Once
	files  map[string][]byte
	names  []string
	signer *Signer
}

func loadFuzzBundle(f *testing.F) (map[string][]byte, []string, *Signer) {
	fuzzBundle.once.Do(func() {
		dir, s := buildBundle(f, 2)
		m := loadMem(&testing.T{}, dir)
		fuzzBundle.files, fuzzBundle.signer = m.files, s
		for n := range m.files {
			fuzzBundle.names = append(fuzzBundle.names, n)
		}
		slices.Sort(fuzzBundle.names)
	})
	return fuzzBundle.files, fuzzBundle.names, fuzzBundle.signer
}

// resignTags recomputes tagmanifest-sha256.txt over the tag files and signs it and provenance.json
// again, so a changed tag file is trusted and every check behind the signature runs on it.
func resignTags(t *testing.T, files map[string][]byte, s *Signer) {
	entries, err := ParseManifest(files[FileTagManifest])
	if err != nil {
		t.Fatalf("own tag manifest: %v", err)
	}
	for i, e := range entries {
		sum := sha256.Sum256(files[e.Path])
		entries[i].SHA256 = hex.EncodeToString(sum[:])
	}
	files[FileTagManifest] = formatManifest(entries)
	if files[FileTagManifestSig], err = s.signMessageBundle(files[FileTagManifest]); err != nil {
		t.Fatal(err)
	}
	if files[FileProvenanceSig], err = s.signDSSEBundle(files[FileProvenance]); err != nil {
		t.Fatal(err)
	}
}

// FuzzVerifyBundle replaces one file of a signed bundle with the fuzzer's bytes, optionally
// re-signing the tag files so croissant.json, provenance.json, bag-info.txt and the manifests
// are checked as trusted, and runs the whole Verify. Verify must not panic, and a bundle
// changed without re-signing must never verify.
func FuzzVerifyBundle(f *testing.F) {
	files, names, _ := loadFuzzBundle(f)
	for i, n := range names {
		f.Add(uint8(i), files[n], true)
		f.Add(uint8(i), files[n], false)
	}
	f.Add(uint8(slices.Index(names, FileCroissant)), []byte(`{"distribution":[{"@type":"cr:FileObject","contentUrl":"data/index.csv","contentSize":"-1 B"}]}`), true)
	f.Add(uint8(slices.Index(names, FileProvenance)), []byte(`{"_type":"https://in-toto.io/Statement/v1","predicateType":"https://slsa.dev/provenance/v1","subject":[{"name":"x","digest":{"sha256":"00"}}],"predicate":{}}`), true)
	f.Add(uint8(slices.Index(names, FileBagInfo)), []byte("Payload-Oxum: 99999999999999999999.1\n"), true)
	f.Fuzz(func(t *testing.T, which uint8, data []byte, sign bool) {
		files, names, s := loadFuzzBundle(nil)
		m := &memSource{files: make(map[string][]byte, len(files))}
		for n, b := range files {
			m.files[n] = b
		}
		name := names[int(which)%len(names)]
		m.files[name] = data
		changed := !bytes.Equal(files[name], data)
		if sign && name != FileTagManifest && name != FileTagManifestSig && name != FileProvenanceSig {
			resignTags(t, m.files, s)
		} else {
			sign = false
		}
		res, err := Verify(context.Background(), m, VerifyOptions{Keys: []*PublicKey{s.Public()}, Workers: 1})
		if res == nil {
			t.Fatalf("no result: %v", err)
		}
		if (err == nil) != res.OK() {
			t.Fatalf("error %v but %d problems", err, len(res.Problems))
		}
		// A signature bundle's own bytes are not signed (whitespace may change); all else is.
		if changed && !sign && !strings.HasSuffix(name, ".sigstore.json") && res.OK() {
			t.Fatalf("%s changed without re-signing, and the bundle verifies", name)
		}
		if m.read.Load() > 4<<20 {
			t.Fatalf("read %d bytes of a bundle under 1 MB", m.read.Load())
		}
	})
}

// FuzzParseKeys loads public and private key PEMs (keygen, cosign and PKCS#8 forms). A key that
// loads round-trips through its PEM with the same hint.
func FuzzParseKeys(f *testing.F) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), crand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	pubPEM, _ := cryptoutils.MarshalPublicKeyToPEM(k.Public())
	privPEM, _ := cryptoutils.MarshalPrivateKeyToPEM(k)
	f.Add(pubPEM)
	f.Add(privPEM)
	f.Add([]byte("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\neyJrZGYiOnsibmFtZSI6InNjcnlwdCIsInBhcmFtcyI6eyJOIjoxLCJyIjoxLCJwIjoxfX19\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n"))
	f.Add([]byte("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if pk, err := ParsePublicKeyPEM("fuzz.pub", data); err == nil {
			again, err := pk.PEM()
			if err != nil {
				t.Fatal(err)
			}
			back, err := ParsePublicKeyPEM("again.pub", again)
			if err != nil || back.Hint() != pk.Hint() || pk.Hint() == "" {
				t.Fatalf("round trip: %v", err)
			}
		}
		// No password: an encrypted key is refused before its KDF runs, so the fuzzer cannot
		// spend scrypt's memory on every input.
		if s, err := ParsePrivateKeyPEM("fuzz.key", data, nil); err == nil && s.Public().Hint() == "" {
			t.Fatal("signer without a key hint")
		}
	})
}
