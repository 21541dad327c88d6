package manifest

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/raysynth/raysynth/internal/contract"
)

// The JSON documents of a bundle, shared by Build (which writes them) and Verify (which reads them).

const (
	statementType  = "https://in-toto.io/Statement/v1"
	slsaPredicate  = "https://slsa.dev/provenance/v1"
	buildType      = "https://github.com/raysynth/raysynth/bundle/v1"
	builderID      = "https://github.com/raysynth/raysynth"
	croissantConf  = "http://mlcommons.org/croissant/1.1"
	privacyGateKey = "privacy"
)

// Override records a gate that was overridden for a release: which gate, why, and which of its
// checks failed.
type Override struct {
	Gate         string   `json:"gate"`
	Reason       string   `json:"reason"`
	FailedChecks []string `json:"failed_checks"`
}

// DP summarises differentially private training as recorded in the provenance: the largest ε over
// the classes, its δ, and ε per class (classes trained without DP are absent).
type DP struct {
	Epsilon  float64            `json:"epsilon"`
	Delta    float64            `json:"delta"`
	PerClass map[string]float64 `json:"per_class"`
}

type digestSet struct {
	SHA256 string `json:"sha256"`
}

type resourceDescriptor struct {
	Name   string    `json:"name"`
	URI    string    `json:"uri,omitempty"`
	Digest digestSet `json:"digest"`
}

type statement struct {
	Type          string               `json:"_type"`
	Subject       []resourceDescriptor `json:"subject"`
	PredicateType string               `json:"predicateType"`
	Predicate     provenancePredicate  `json:"predicate"`
}

type provenancePredicate struct {
	BuildDefinition struct {
		BuildType            string               `json:"buildType"`
		ExternalParameters   externalParameters   `json:"externalParameters"`
		InternalParameters   internalParameters   `json:"internalParameters"`
		ResolvedDependencies []resourceDescriptor `json:"resolvedDependencies"`
	} `json:"buildDefinition"`
	RunDetails struct {
		Builder struct {
			ID      string            `json:"id"`
			Version map[string]string `json:"version"`
		} `json:"builder"`
		Metadata struct {
			InvocationID string `json:"invocationId"`
			StartedOn    string `json:"startedOn"`
			FinishedOn   string `json:"finishedOn"`
		} `json:"metadata"`
		Byproducts []resourceDescriptor `json:"byproducts"`
	} `json:"runDetails"`
}

type externalParameters struct {
	Name                string `json:"name"`
	Version             string `json:"version"`
	License             string `json:"license"`
	Description         string `json:"description"`
	Organization        string `json:"source_organization"`
	OverridePrivacyGate string `json:"override_privacy_gate,omitempty"`
}

type internalParameters struct {
	Workspace  json.RawMessage   `json:"workspace"`
	Generators []json.RawMessage `json:"generators"`
	Generation generationFacts   `json:"generation"`
	Privacy    privacyFacts      `json:"privacy"`
	Overrides  []Override        `json:"overrides"`
}

type generationFacts struct {
	Images   int                   `json:"images"`
	DICOM    int                   `json:"dicom"`
	PerClass map[string]classFacts `json:"per_class"`
}

type classFacts struct {
	Images      int      `json:"images"`
	Generators  []string `json:"generator_checkpoints_sha256"`
	Seeds       []uint64 `json:"seeds"`
	FirstSample int64    `json:"first_sample"`
	LastSample  int64    `json:"last_sample"`
}

type privacyFacts struct {
	Passed       bool            `json:"passed"`
	FailedChecks []string        `json:"failed_checks"`
	Policy       json.RawMessage `json:"policy"`
	ReportSHA256 string          `json:"report_sha256"`
}

func parsePrivacySummary(data []byte) (*contract.PrivacySummary, error) {
	var p contract.PrivacySummary
	if err := strictObject(data, &p); err != nil {
		return nil, err
	}
	if p.Passed == nil {
		return nil, fmt.Errorf("no \"passed\" field")
	}
	return &p, nil
}

// strictObject decodes one JSON object and refuses trailing data.
func strictObject(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the JSON object")
	}
	return nil
}

// croissant is the part of croissant.json that Verify checks.
type croissant struct {
	Type         string `json:"@type"`
	ConformsTo   string `json:"conformsTo"`
	Name         string `json:"name"`
	Version      string `json:"version"`
	Distribution []struct {
		Type        string `json:"@type"`
		ID          string `json:"@id"`
		ContentURL  string `json:"contentUrl"`
		ContentSize string `json:"contentSize"`
		SHA256      string `json:"sha256"`
		Includes    string `json:"includes"`
	} `json:"distribution"`
	RecordSet []struct {
		Type  string            `json:"@type"`
		Field []json.RawMessage `json:"field"`
		Data  json.RawMessage   `json:"data"` // inline records (an enumeration): fields need no source
	} `json:"recordSet"`
}
