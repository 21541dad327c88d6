# raysynth: the entry point for building, testing, benchmarking and the demo.
#   make demo    run the whole product end to end on a phantom data set (no arguments needed)
#   make test    install what the tests need (OpenBLAS, MinIO, VersityGW, cosign v2 and v3) and run every test
#   make check   gofmt, go vet, staticcheck, then the tests
#   make bench   benchmarks (speed and memory goals are checked here, never by timed tests)
#   make fuzz    every fuzz target for FUZZTIME each (default 60s); a crash is kept in testdata/fuzz

SHELL := /bin/bash
export GOTOOLCHAIN := local
export GOFLAGS := -buildvcs=false

CACHE      ?= $(HOME)/.cache/raysynth
MINIO_VERSION := v0.0.0-20260212201848-7aac2a2c5b7c
MINIO_BIN  := $(CACHE)/minio-$(MINIO_VERSION)/minio
STATICCHECK_VERSION := v0.8.2
export RAYSYNTH_MINIO_BIN := $(MINIO_BIN)
# A second S3 implementation the tests publish to: VersityGW (S3 in front of a POSIX folder).
VERSITYGW_VERSION := v1.8.0
VERSITYGW_BIN := $(CACHE)/versitygw-$(VERSITYGW_VERSION)/versitygw
export RAYSYNTH_VERSITYGW_BIN := $(VERSITYGW_BIN)
# cosign, both major versions researchers run, for TestCosignInterop (the bundle's offline
# standard-tool commands, run with each; see docs/bundles.md).
COSIGN2_VERSION := v2.6.5
COSIGN3_VERSION := v3.1.3
COSIGN2_BIN := $(CACHE)/cosign-$(COSIGN2_VERSION)/cosign
COSIGN3_BIN := $(CACHE)/cosign-$(COSIGN3_VERSION)/cosign
export RAYSYNTH_COSIGN_BINS := $(COSIGN2_BIN):$(COSIGN3_BIN)

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null | grep . || echo dev)
COMMIT  ?= $(shell git rev-parse --verify -q HEAD 2>/dev/null || echo unknown)
LDFLAGS := -X main.version=$(VERSION) -X main.commit=$(COMMIT)

# OpenBLAS through cgo when Debian's libopenblas-dev is installed, else the pure-Go BLAS.
HAVE_OPENBLAS = $(shell test -e /usr/include/x86_64-linux-gnu/cblas.h -o -e /usr/include/cblas.h && ldconfig -p 2>/dev/null | grep -q libopenblas && echo yes)
# DICOM codecs through cgo when their Debian -dev packages are installed (see internal/dicomio/codec.go):
# OpenJPEG (JPEG 2000), CharLS (JPEG-LS), GDCM's IJG libjpeg 8/12/16-bit (lossless and 12-bit JPEG);
# libpng (libpng-dev) decodes 8-bit grayscale PNG films about twice as fast as image/png.
CODEC_TAGS = $(shell test -e /usr/include/openjpeg-2.5/openjpeg.h && echo openjpeg) \
	$(shell test -e /usr/include/charls/charls.h && echo charls) \
	$(shell test -e /usr/include/gdcm-3.0/gdcmjpeg/16/jpeglib.h && echo gdcmjpeg) \
	$(shell test -e /usr/include/png.h && pkg-config --exists libpng 2>/dev/null && echo libpng)
# oneDNN's bf16 matrix products (--precision bf16) when Debian's libdnnl-dev is installed.
HAVE_DNNL = $(shell test -e /usr/include/oneapi/dnnl/dnnl.h && ldconfig -p 2>/dev/null | grep -q libdnnl && echo yes)
TAGS = $(strip $(if $(filter yes,$(HAVE_OPENBLAS)),openblas,) $(if $(filter yes,$(HAVE_DNNL)),dnnl,) $(CODEC_TAGS))
# Debian's OpenBLAS 0.3.21 takes AVX-512 Zen CPUs for Haswell or Cooperlake; SkylakeX kernels are
# twice as fast as Haswell's. As raysynth itself does (cmd/raysynth/blasenv.go), tests and benchmarks
# use SkylakeX on AVX-512 CPUs unless OPENBLAS_CORETYPE already names an AVX-512 core; some machines
# preset Haswell for every program. RAYSYNTH_BLAS_CORETYPE, when set, is used as given.
AVX512 := $(shell grep -q avx512bw /proc/cpuinfo 2>/dev/null && echo yes)
ifneq ($(RAYSYNTH_BLAS_CORETYPE),)
export OPENBLAS_CORETYPE := $(RAYSYNTH_BLAS_CORETYPE)
else ifeq ($(AVX512),yes)
ifeq ($(filter skylakex cooperlake sapphirerapids,$(shell echo '$(OPENBLAS_CORETYPE)' | tr A-Z a-z)),)
export OPENBLAS_CORETYPE := SkylakeX
endif
endif

.PHONY: all build setup deps-openblas minio versitygw cosign test test-short check bench fuzz demo demo-s3 clean

all: build

build: deps-openblas
	go build -tags '$(TAGS)' -ldflags '$(LDFLAGS)' -o raysynth ./cmd/raysynth

# Install Debian's OpenBLAS, oneDNN, the DICOM codec libraries (OpenJPEG, CharLS, GDCM's IJG libjpeg), libpng and the
# tools the tests make and check DICOM files with (dcmtk, GDCM's gdcmconv) when missing and possible
# (root with apt-get); otherwise the pure-Go build is used (it refuses the codecs it lacks, naming
# the package).
DEB_PACKAGES := libopenblas-dev libdnnl-dev dcmtk libopenjp2-7-dev libcharls-dev libgdcm-dev libgdcm-tools libpng-dev
deps-openblas:
	@if ! { test -e /usr/include/x86_64-linux-gnu/cblas.h && test -e /usr/include/oneapi/dnnl/dnnl.h && command -v dcmdump >/dev/null && command -v gdcmconv >/dev/null \
	    && test -e /usr/include/openjpeg-2.5/openjpeg.h && test -e /usr/include/charls/charls.h && test -e /usr/include/gdcm-3.0/gdcmjpeg/16/jpeglib.h && test -e /usr/include/png.h; }; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "make: installing $(DEB_PACKAGES) with apt-get" >&2; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEB_PACKAGES) >/dev/null) \
	      || echo "make: apt-get failed; building with the pure-Go BLAS and without the C codecs" >&2; \
	  else echo "make: $(DEB_PACKAGES) missing and cannot be installed here; building with the pure-Go BLAS and without the C codecs" >&2; fi; \
	fi

# The MinIO server used by the S3 tests (AGPL, test-only). Building it takes minutes, so the binary
# is cached outside the clone.
minio: $(MINIO_BIN)
$(MINIO_BIN):
	@mkdir -p $(dir $@)
	@echo "make: building the MinIO test server once (several minutes); cached in $(dir $@)" >&2
	GOBIN=$(abspath $(dir $@)) go install github.com/minio/minio@$(MINIO_VERSION)

# VersityGW and cosign, built and cached the same way (each a few minutes cold; see docs/s3-compatibility.md).
versitygw: $(VERSITYGW_BIN)
$(VERSITYGW_BIN):
	@echo "make: building the VersityGW test server once; cached in $(dir $@)" >&2
	@rm -rf $(@D).tmp && mkdir -p $(@D).tmp
	GOBIN=$(abspath $(@D)).tmp go install github.com/versity/versitygw/cmd/versitygw@$(VERSITYGW_VERSION)
	@rm -rf $(@D) && mv $(@D).tmp $(@D)

cosign: $(COSIGN2_BIN) $(COSIGN3_BIN)
$(CACHE)/cosign-v2.%/cosign:
	@echo "make: building cosign v2.$* once; cached in $(dir $@)" >&2
	@rm -rf $(@D).tmp && mkdir -p $(@D).tmp
	GOBIN=$(abspath $(@D)).tmp go install github.com/sigstore/cosign/v2/cmd/cosign@v2.$*
	@rm -rf $(@D) && mv $(@D).tmp $(@D)
$(CACHE)/cosign-v3.%/cosign:
	@echo "make: building cosign v3.$* once; cached in $(dir $@)" >&2
	@rm -rf $(@D).tmp && mkdir -p $(@D).tmp
	GOBIN=$(abspath $(@D)).tmp go install github.com/sigstore/cosign/v3/cmd/cosign@v3.$*
	@rm -rf $(@D) && mv $(@D).tmp $(@D)

setup: deps-openblas minio versitygw cosign

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
bench: build minio versitygw
	go test -tags '$(TAGS)' -run '^$$' -bench . -benchtime 3x ./internal/... ./ingest/... ./train/... ./privacy/... ./manifest/... ./publish/... 2>&1 | tee bench.txt
	./raysynth version --verbose | tee -a bench.txt
	./raysynth bench gan | tee -a bench.txt
	./raysynth bench nn | tee -a bench.txt
	./raysynth bench scale --images 20000 | tee -a bench.txt

# Every fuzz target for FUZZTIME each, then one line per target (scripts/fuzz.sh says how the
# Go 1.26 fuzzer's quirks are handled). FUZZFLAGS passes more flags to go test, e.g.
# FUZZFLAGS=-parallel=1 on a shared machine; FUZZ=PATTERN picks targets by name. No target needs MinIO.
FUZZTIME ?= 60s
FUZZMINIMIZE ?= 5s
FUZZFLAGS ?=
FUZZ ?= .
fuzz: deps-openblas
	TAGS='$(TAGS)' FUZZTIME='$(FUZZTIME)' FUZZMINIMIZE='$(FUZZMINIMIZE)' FUZZFLAGS='$(FUZZFLAGS)' ./scripts/fuzz.sh '$(FUZZ)'

demo: build
	./scripts/demo.sh

demo-s3: build minio
	DEMO_S3=1 ./scripts/demo.sh

clean:
	rm -rf raysynth demo bench.txt
