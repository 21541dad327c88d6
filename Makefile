# raysynth: the entry point for building, testing, benchmarking and the demo.
#   make demo    run the whole product end to end on a phantom data set (no arguments needed)
#   make test    install what the tests need (OpenBLAS, MinIO) and run every test
#   make check   gofmt, go vet, staticcheck, then the tests
#   make bench   benchmarks (speed and memory goals are checked here, never by timed tests)

SHELL := /bin/bash
export GOTOOLCHAIN := local
export GOFLAGS := -buildvcs=false

CACHE      ?= $(HOME)/.cache/raysynth
MINIO_VERSION := v0.0.0-20260212201848-7aac2a2c5b7c
MINIO_BIN  := $(CACHE)/minio-$(MINIO_VERSION)/minio
STATICCHECK_VERSION := v0.8.2
export RAYSYNTH_MINIO_BIN := $(MINIO_BIN)

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null | grep . || echo dev)
COMMIT  ?= $(shell git rev-parse --verify -q HEAD 2>/dev/null || echo unknown)
LDFLAGS := -X main.version=$(VERSION) -X main.commit=$(COMMIT)

# OpenBLAS through cgo when Debian's libopenblas-dev is installed, else the pure-Go BLAS.
HAVE_OPENBLAS = $(shell test -e /usr/include/x86_64-linux-gnu/cblas.h -o -e /usr/include/cblas.h && ldconfig -p 2>/dev/null | grep -q libopenblas && echo yes)
TAGS = $(if $(filter yes,$(HAVE_OPENBLAS)),openblas,)
# Debian's OpenBLAS 0.3.21 takes AVX-512 Zen CPUs for Haswell; SkylakeX kernels are twice as fast.
AVX512 := $(shell grep -q avx512bw /proc/cpuinfo 2>/dev/null && echo yes)
ifeq ($(AVX512),yes)
ifeq ($(origin OPENBLAS_CORETYPE),undefined)
export OPENBLAS_CORETYPE := SkylakeX
endif
endif

.PHONY: all build setup deps-openblas minio test test-short check bench demo demo-s3 clean

all: build

build: deps-openblas
	go build -tags '$(TAGS)' -ldflags '$(LDFLAGS)' -o raysynth ./cmd/raysynth

# Install Debian's OpenBLAS (and dcmtk, whose dcmdump checks our DICOM output) when missing and
# possible (root with apt-get); otherwise the pure-Go build is used.
deps-openblas:
	@if ! { test -e /usr/include/x86_64-linux-gnu/cblas.h && command -v dcmdump >/dev/null; }; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "make: installing libopenblas-dev and dcmtk with apt-get" >&2; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libopenblas-dev dcmtk >/dev/null) \
	      || echo "make: apt-get failed; building with the pure-Go BLAS" >&2; \
	  else echo "make: libopenblas-dev missing and cannot be installed here; building with the pure-Go BLAS" >&2; fi; \
	fi

# The MinIO server used by the S3 tests (AGPL, test-only). Building it takes minutes, so the binary
# is cached outside the clone.
minio: $(MINIO_BIN)
$(MINIO_BIN):
	@mkdir -p $(dir $@)
	@echo "make: building the MinIO test server once (several minutes); cached in $(dir $@)" >&2
	GOBIN=$(abspath $(dir $@)) go install github.com/minio/minio@$(MINIO_VERSION)

setup: deps-openblas minio

test: setup
	go test -tags '$(TAGS)' -count=1 -timeout 40m ./...

test-short: deps-openblas
	go test -tags '$(TAGS)' -short -count=1 ./...

check: deps-openblas
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted" >&2; exit 1; fi
	go vet -tags '$(TAGS)' ./...
	go run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) -tags '$(TAGS)' ./...
	$(MAKE) test

# Go benchmarks (MinIO for the upload benchmark), then the two heavy parts as users run them.
bench: build minio
	go test -tags '$(TAGS)' -run '^$$' -bench . -benchtime 3x ./internal/... ./train/... ./privacy/... ./manifest/... ./publish/... 2>&1 | tee bench.txt
	./raysynth version --verbose | tee -a bench.txt
	./raysynth bench gan | tee -a bench.txt
	./raysynth bench nn | tee -a bench.txt

demo: build
	./scripts/demo.sh

demo-s3: build minio
	DEMO_S3=1 ./scripts/demo.sh

clean:
	rm -rf raysynth demo bench.txt
