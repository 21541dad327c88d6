//go:build tools

// Package deps pins the module's third-party dependencies in go.mod while the code that uses them is
// being written. It is built only with the "tools" tag and is removed once every dependency is used.
package deps

import (
	_ "github.com/minio/minio-go/v7"
	_ "github.com/rogpeppe/go-internal/testscript"
	_ "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	_ "github.com/sigstore/sigstore-go/pkg/verify"
	_ "github.com/sigstore/sigstore/pkg/cryptoutils"
	_ "github.com/sigstore/sigstore/pkg/signature"
	_ "github.com/sigstore/sigstore/pkg/signature/dsse"
	_ "github.com/sigstore/sigstore/pkg/signature/kms"
	_ "github.com/spf13/cobra"
	_ "github.com/suyashkumar/dicom"
	_ "github.com/vbauerster/mpb/v8"
	_ "go.yaml.in/yaml/v3"
	_ "go4.org/unsafe/assume-no-moving-gc"
	_ "gonum.org/v1/plot"
	_ "gorgonia.org/gorgonia"
	_ "gorgonia.org/tensor"
)
