package manifest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/raysynth/raysynth/internal/bundletest"
)

// A signed bundle copied under another name or version verifies only where nobody says where it
// belongs; with the location's binding it fails with one name-version problem.
func TestVerifyBindsNameAndVersion(t *testing.T) {
	dir, s := buildBundle(t, 4)
	keys := []*PublicKey{s.Public()}
	for _, tc := range []struct {
		name, version string
		ok            bool
	}{
		{"chest-test", "1.0.0", true},
		{"chest-test", "0.2.0", false},
		{"othername", "5.0.0", false},
		{"", "1.0.0", true},
		{"", "2.0.0", false},
	} {
		t.Run(tc.name+"/"+tc.version, func(t *testing.T) {
			b := &Binding{Where: "s3://r/" + tc.name + "/" + tc.version, Name: tc.name, Version: tc.version}
			res, err := Verify(context.Background(), DirSource(dir), VerifyOptions{Keys: keys, Binding: b})
			if tc.ok {
				if err != nil {
					t.Fatalf("%v %v", err, res.Problems)
				}
				return
			}
			if !errors.Is(err, ErrVerification) || len(res.Problems) != 1 || !hasProblem(res, FileCroissant, KindBinding) {
				t.Fatalf("want one name-version problem, got %v %v", err, res.Problems)
			}
			if !strings.Contains(res.Problems[0].Detail, "the bundle is chest-test 1.0.0") {
				t.Fatalf("detail: %s", res.Problems[0].Detail)
			}
		})
	}
}

// A LATEST pointer naming another tag manifest is one clear problem, not every file unexpected.
func TestVerifyLatestMismatchIsOneProblem(t *testing.T) {
	dir, s := buildBundle(t, 4)
	b := &Binding{Where: "x/chest-test/1.0.0", Name: "chest-test", Version: "1.0.0", Pointer: "x/chest-test/LATEST", TagManifestSHA256: strings.Repeat("ab", 32)}
	res, err := Verify(context.Background(), DirSource(dir), VerifyOptions{Keys: []*PublicKey{s.Public()}, Binding: b})
	if !errors.Is(err, ErrVerification) || len(res.Problems) != 1 || !hasProblem(res, FileTagManifest, KindLatest) {
		t.Fatalf("got %v %v", err, res.Problems)
	}
	if !strings.Contains(res.Problems[0].Detail, "x/chest-test/LATEST names abab") {
		t.Fatalf("detail: %s", res.Problems[0].Detail)
	}
}

// bag-info.txt's External-Identifier must name the release croissant.json names.
func TestVerifyExternalIdentifier(t *testing.T) {
	orig, s := buildBundle(t, 2)
	dir := copyTree(t, orig)
	p := filepath.Join(dir, FileBagInfo)
	data, _ := os.ReadFile(p)
	os.WriteFile(p, []byte(strings.Replace(string(data), "chest-test/1.0.0", "chest-test/9.0.0", 1)), 0o644)
	resign(t, dir, s)
	res, err := Verify(context.Background(), DirSource(dir), VerifyOptions{Keys: []*PublicKey{s.Public()}})
	if !errors.Is(err, ErrVerification) || !hasProblem(res, FileBagInfo, KindMalformed) {
		t.Fatalf("got %v %v", err, res.Problems)
	}
}

// resign rewrites tagmanifest-sha256.txt over the current tag files and signs it with s.
func resign(t *testing.T, dir string, s *Signer) {
	t.Helper()
	var entries []ManifestEntry
	for _, name := range tagFilesInTagManifest {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		entries = append(entries, ManifestEntry{bundletest.SHA256(b), name})
	}
	tm := formatManifest(entries)
	os.WriteFile(filepath.Join(dir, FileTagManifest), tm, 0o644)
	sig, err := s.signMessageBundle(tm)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, FileTagManifestSig), sig, 0o644)
}

// Once the tag manifest's signature fails, verify reads nothing else and reports a count, however
// many files the folder holds.
func TestVerifyStopsAtFailedSignature(t *testing.T) {
	orig, s := buildBundle(t, 4)
	dir := copyTree(t, orig)
	for i := range 300 {
		p := filepath.Join(dir, "data", "images", "normal", fmt.Sprintf("junk-%03d.png", i))
		os.WriteFile(p, []byte("junk"), 0o644)
	}
	os.WriteFile(filepath.Join(dir, FileManifest), []byte("not a manifest\n"), 0o644)
	keys := []*PublicKey{s.Public()}
	for _, tc := range []struct {
		name string
		keys []*PublicKey
		edit func()
		want string
	}{
		{"wrong key", []*PublicKey{testSigner(t).Public()}, func() {}, KindWrongKey},
		{"tag manifest edited", keys, func() {
			os.WriteFile(filepath.Join(dir, FileTagManifest), []byte(strings.Repeat("0", 64)+"  bagit.txt\n"), 0o644)
		}, KindSignature},
		{"signature removed", keys, func() { os.Remove(filepath.Join(dir, FileTagManifestSig)) }, KindMissing},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.edit()
			res, err := Verify(context.Background(), DirSource(dir), VerifyOptions{Keys: tc.keys})
			if !errors.Is(err, ErrVerification) || !hasProblem(res, notCheckedFile, KindNotChecked) {
				t.Fatalf("got %v %v", err, res.Problems)
			}
			if len(res.Problems) > 4 {
				t.Fatalf("%d problems, want the signature problem and a count: %v", len(res.Problems), res.Problems)
			}
			found := false
			for _, p := range res.Problems {
				found = found || p.Kind == tc.want
				if p.Kind == KindNotChecked && !strings.Contains(p.Detail, "not read") {
					t.Fatalf("count: %s", p.Detail)
				}
			}
			if !found || res.Name != "" || res.Images != 0 {
				t.Fatalf("want a %s problem and no facts, got %+v", tc.want, res)
			}
		})
	}
}

// Verify names the key of every signature: a provenance signed by another trusted key shows.
func TestVerifyReportsEverySigner(t *testing.T) {
	orig, a := buildBundle(t, 2)
	dir := copyTree(t, orig)
	b := testSigner(t)
	prov, _ := os.ReadFile(filepath.Join(dir, FileProvenance))
	sig, err := b.signDSSEBundle(prov)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, FileProvenanceSig), sig, 0o644)
	res, err := Verify(context.Background(), DirSource(dir), VerifyOptions{Keys: []*PublicKey{a.Public(), b.Public()}})
	if err != nil {
		t.Fatal(err, res.Problems)
	}
	if res.Signers[FileTagManifest] != a.Public().Hint() || res.Signers[FileProvenance] != b.Public().Hint() || res.KeyHint != a.Public().Hint() {
		t.Fatalf("signers %v, key hint %s", res.Signers, res.KeyHint)
	}
}

func TestSignedIdentity(t *testing.T) {
	dir, s := buildBundle(t, 2)
	id, err := SignedIdentity(context.Background(), DirSource(dir), []*PublicKey{s.Public()})
	if err != nil || id.Name != "chest-test" || id.Version != "1.0.0" || id.KeyHint != s.Public().Hint() || len(id.TagManifestSHA256) != 64 {
		t.Fatalf("%+v %v", id, err)
	}
	if _, err := SignedIdentity(context.Background(), DirSource(dir), []*PublicKey{testSigner(t).Public()}); !errors.Is(err, ErrVerification) {
		t.Fatalf("another key: %v", err)
	}
	cp := copyTree(t, dir)
	os.WriteFile(filepath.Join(cp, FileBagInfo), []byte("External-Identifier: chest-test/9.9.9\n"), 0o644)
	if _, err := SignedIdentity(context.Background(), DirSource(cp), []*PublicKey{s.Public()}); !errors.Is(err, ErrVerification) {
		t.Fatalf("edited bag-info: %v", err)
	}
}

// The card tells the truth about its data: a phantom-derived release says so and is never
// described as hospital data, realistic or for research; every card carries this release's
// privacy figures and says whether usefulness was measured.
func TestCardStatesWhatTheDataIs(t *testing.T) {
	for _, phantom := range []bool{false, true} {
		t.Run(fmt.Sprint("phantom=", phantom), func(t *testing.T) {
			s := testSigner(t)
			cfg := newFixture(t, 4).config(s, filepath.Join(t.TempDir(), "b"))
			cfg.Phantom = phantom
			if !phantom {
				cfg.Evaluation = "| regime | accuracy |\n|---|---|\n| (a) real only | 0.61 |\n"
			}
			if _, err := Build(context.Background(), cfg); err != nil {
				t.Fatal(err)
			}
			card, _ := os.ReadFile(filepath.Join(cfg.Out, FileReadme))
			cr, _ := os.ReadFile(filepath.Join(cfg.Out, FileCroissant))
			text := string(card) + string(cr)
			if !strings.Contains(string(card), "base64 -d | cmp - provenance.json") {
				t.Errorf("card's standard-tool commands do not cover provenance.json")
			}
			if strings.Contains(text, "realistic") {
				t.Errorf("card calls the data realistic")
			}
			if !strings.Contains(string(card), "| nn_ratio | all | 1.5 | 1.2 | passed |") {
				t.Errorf("card lacks the privacy figures:\n%s", card)
			}
			if phantom {
				for _, bad := range []string{"hospital on de-identified", "PS3.15", "Research on chest X-ray"} {
					if strings.Contains(text, bad) {
						t.Errorf("phantom card says %q", bad)
					}
				}
				for _, want := range []string{"software phantoms", "not for research", "Usefulness: not measured"} {
					if !strings.Contains(string(card), want) {
						t.Errorf("phantom card lacks %q", want)
					}
				}
				if !strings.Contains(string(cr), "software phantom") {
					t.Errorf("croissant.json does not say phantom")
				}
			} else if !strings.Contains(string(card), "| (a) real only | 0.61 |") || !strings.Contains(string(card), "inside Test Hospital") {
				t.Errorf("card lacks the evaluation or the organisation:\n%s", card)
			}
		})
	}
}
