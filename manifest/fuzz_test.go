package manifest

import (
	"strings"
	"testing"
)

func FuzzParseManifest(f *testing.F) {
	h := strings.Repeat("ab", 32)
	f.Add([]byte(h + "  data/index.csv\n" + h + "  data/images/normal/s-1.png\n"))
	f.Add([]byte(h + " *data/x.png\r\n"))
	f.Add([]byte(h + "  data/a%0Ab\n"))
	f.Add([]byte(h + "  ../etc/passwd\n"))
	f.Add([]byte("\xff\xfe"))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := ParseManifest(data)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, e := range entries {
			if checkName(e.Path) != "" {
				t.Fatalf("unsafe path accepted: %q", e.Path)
			}
			if len(e.SHA256) != 64 || seen[e.Path] {
				t.Fatalf("bad entry %+v", e)
			}
			seen[e.Path] = true
		}
		// What we write, we read back the same (paths without CR/LF/% only).
		again, err := ParseManifest(formatManifest(entries))
		if err != nil && !strings.ContainsAny(strings.Join(pathsOf(entries), ""), "\r\n%") {
			t.Fatalf("re-parse: %v", err)
		}
		if err == nil && len(again) != len(entries) {
			t.Fatalf("re-parse gave %d entries, want %d", len(again), len(entries))
		}
	})
}

func pathsOf(es []ManifestEntry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Path)
	}
	return out
}

func FuzzParseBagInfo(f *testing.F) {
	f.Add([]byte("Source-Organization: Hospital\nPayload-Oxum: 123.4\nBagging-Date: 2026-11-28\n"))
	f.Add([]byte("A: b\n  continued\r\nPayload-Oxum: 1.x\n"))
	f.Add([]byte(" leading\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := ParseBagInfo(data)
		if err != nil {
			return
		}
		if b, n, err := info.Oxum(); err == nil && (b < 0 || n < 0) {
			t.Fatalf("negative oxum %d.%d", b, n)
		}
		for _, fld := range info.Fields {
			if strings.ContainsAny(fld[0], "\n:") {
				t.Fatalf("label %q", fld[0])
			}
		}
	})
}

func FuzzParseSigBundle(f *testing.F) {
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":"x"}},"messageSignature":{"messageDigest":{"algorithm":"SHA2_256","digest":"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="},"signature":"MEUCIQ=="}}`))
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":"x"}},"dsseEnvelope":{"payload":"e30=","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"MEUCIQ=="}]}}`))
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}{}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := parseSigBundle(data)
		if err != nil {
			return
		}
		if b.IsDSSE {
			if len(b.DSSESigs) == 0 {
				t.Fatal("DSSE bundle without signatures accepted")
			}
		} else if len(b.Digest) != 32 || len(b.Signature) == 0 {
			t.Fatal("message signature without digest or signature accepted")
		}
	})
}

func FuzzParseIndex(f *testing.F) {
	f.Add([]byte(strings.Join(indexHeader, ",") + "\ns-1,normal,images/normal/s-1.png," + strings.Repeat("a", 64) + ",10,g,1,2,,,\n"))
	f.Add([]byte(strings.Join(indexHeader, ",") + "\ns-1,normal,../x.png,h,10,g,1,2,,,\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := parseIndex(data)
		if err != nil {
			return
		}
		for _, r := range rows {
			if checkName(r.File) != "" || !strings.HasPrefix(r.File, "images/") || r.Size < 0 {
				t.Fatalf("bad row accepted: %+v", r)
			}
		}
	})
}
