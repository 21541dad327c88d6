package manifest

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// Sigstore bundle v0.3 JSON, the subset this package writes and reads: a public-key hint as
// verification material and either a message signature or a DSSE envelope. Field names follow the
// protobuf JSON mapping (protojson) of sigstore's protobuf-specs, which cosign and sigstore-go read.
const (
	bundleMediaType    = "application/vnd.dev.sigstore.bundle.v0.3+json"
	bundleMediaTypeAlt = "application/vnd.dev.sigstore.bundle+json;version=0.3"
	inTotoPayloadType  = "application/vnd.in-toto+json"
)

type sigBundle struct {
	MediaType            string           `json:"mediaType"`
	VerificationMaterial verificationMat  `json:"verificationMaterial"`
	MessageSignature     *messageSig      `json:"messageSignature,omitempty"`
	DSSEEnvelope         *dsseEnvelope    `json:"dsseEnvelope,omitempty"`
	TlogEntries          *json.RawMessage `json:"tlogEntries,omitempty"`
}

type verificationMat struct {
	PublicKey *struct {
		Hint string `json:"hint"`
	} `json:"publicKey,omitempty"`
	Certificate          json.RawMessage `json:"certificate,omitempty"`
	X509CertificateChain json.RawMessage `json:"x509CertificateChain,omitempty"`
}

type messageSig struct {
	MessageDigest struct {
		Algorithm string `json:"algorithm"`
		Digest    string `json:"digest"`
	} `json:"messageDigest"`
	Signature string `json:"signature"`
}

type dsseEnvelope struct {
	Payload     string    `json:"payload"`
	PayloadType string    `json:"payloadType"`
	Signatures  []dsseSig `json:"signatures"`
}

type dsseSig struct {
	Sig   string `json:"sig"`
	KeyID string `json:"keyid,omitempty"`
}

// parsed forms, with base64 decoded.
type parsedBundle struct {
	Hint string
	// message signature
	Digest    []byte
	Signature []byte
	// DSSE
	IsDSSE      bool
	Payload     []byte
	PayloadType string
	DSSESigs    [][]byte
}

var errBundle = errors.New("not a Sigstore bundle v0.3")

// parseSigBundle parses a Sigstore bundle v0.3 JSON document signed with a public key.
func parseSigBundle(data []byte) (*parsedBundle, error) {
	var b sigBundle
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&b); err != nil {
		return nil, fmt.Errorf("%w: %v", errBundle, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: trailing data", errBundle)
	}
	if b.MediaType != bundleMediaType && b.MediaType != bundleMediaTypeAlt {
		return nil, fmt.Errorf("%w: mediaType %q", errBundle, printable(b.MediaType))
	}
	if b.VerificationMaterial.PublicKey == nil {
		return nil, fmt.Errorf("%w: verification material is not a public key", errBundle)
	}
	p := &parsedBundle{Hint: b.VerificationMaterial.PublicKey.Hint}
	switch {
	case b.MessageSignature != nil && b.DSSEEnvelope != nil:
		return nil, fmt.Errorf("%w: both a message signature and a DSSE envelope", errBundle)
	case b.MessageSignature != nil:
		ms := b.MessageSignature
		if ms.MessageDigest.Algorithm != "SHA2_256" {
			return nil, fmt.Errorf("%w: digest algorithm %q, want SHA2_256", errBundle, printable(ms.MessageDigest.Algorithm))
		}
		var err error
		if p.Digest, err = base64.StdEncoding.DecodeString(ms.MessageDigest.Digest); err != nil || len(p.Digest) != sha256.Size {
			return nil, fmt.Errorf("%w: bad message digest", errBundle)
		}
		if p.Signature, err = base64.StdEncoding.DecodeString(ms.Signature); err != nil || len(p.Signature) == 0 {
			return nil, fmt.Errorf("%w: bad signature encoding", errBundle)
		}
	case b.DSSEEnvelope != nil:
		env := b.DSSEEnvelope
		p.IsDSSE = true
		p.PayloadType = env.PayloadType
		var err error
		if p.Payload, err = base64.StdEncoding.DecodeString(env.Payload); err != nil {
			return nil, fmt.Errorf("%w: bad DSSE payload encoding", errBundle)
		}
		if len(env.Signatures) == 0 {
			return nil, fmt.Errorf("%w: DSSE envelope has no signature", errBundle)
		}
		for _, s := range env.Signatures {
			sig, err := base64.StdEncoding.DecodeString(s.Sig)
			if err != nil || len(sig) == 0 {
				return nil, fmt.Errorf("%w: bad DSSE signature encoding", errBundle)
			}
			p.DSSESigs = append(p.DSSESigs, sig)
		}
	default:
		return nil, fmt.Errorf("%w: neither a message signature nor a DSSE envelope", errBundle)
	}
	return p, nil
}

// pae is the DSSE pre-authentication encoding.
func pae(payloadType string, payload []byte) []byte {
	var b bytes.Buffer
	b.WriteString("DSSEv1 ")
	b.WriteString(strconv.Itoa(len(payloadType)))
	b.WriteByte(' ')
	b.WriteString(payloadType)
	b.WriteByte(' ')
	b.WriteString(strconv.Itoa(len(payload)))
	b.WriteByte(' ')
	b.Write(payload)
	return b.Bytes()
}

func marshalBundle(b sigBundle) ([]byte, error) {
	data, err := json.Marshal(b)
	if err != nil {
		return nil, err
	}
	return canonicalJSON(data)
}

// signMessageBundle returns a message-signature bundle over data.
func (s *Signer) signMessageBundle(data []byte) ([]byte, error) {
	sig, err := s.sign(data)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	b := sigBundle{MediaType: bundleMediaType, MessageSignature: &messageSig{Signature: base64.StdEncoding.EncodeToString(sig)}}
	b.VerificationMaterial.PublicKey = &struct {
		Hint string `json:"hint"`
	}{s.pub.hint}
	b.MessageSignature.MessageDigest.Algorithm = "SHA2_256"
	b.MessageSignature.MessageDigest.Digest = base64.StdEncoding.EncodeToString(sum[:])
	return marshalBundle(b)
}

// signDSSEBundle returns a DSSE attestation bundle over an in-toto statement.
func (s *Signer) signDSSEBundle(statement []byte) ([]byte, error) {
	sig, err := s.sign(pae(inTotoPayloadType, statement))
	if err != nil {
		return nil, err
	}
	b := sigBundle{MediaType: bundleMediaType, DSSEEnvelope: &dsseEnvelope{
		Payload:     base64.StdEncoding.EncodeToString(statement),
		PayloadType: inTotoPayloadType,
		Signatures:  []dsseSig{{Sig: base64.StdEncoding.EncodeToString(sig)}},
	}}
	b.VerificationMaterial.PublicKey = &struct {
		Hint string `json:"hint"`
	}{s.pub.hint}
	return marshalBundle(b)
}

// canonicalJSON re-encodes JSON with sorted object keys, two-space indentation, no HTML escaping
// and a final LF, so equal values give equal bytes.
func canonicalJSON(data []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// marshalCanonical marshals v and canonicalises it.
func marshalCanonical(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return canonicalJSON(buf.Bytes())
}
