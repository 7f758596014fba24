# sailplane developer targets. Tools are pinned here and installed into ./bin
# with the machine's Go; nothing is downloaded from outside the Go module
# proxy.

CONTROLLER_TOOLS_VERSION ?= v0.23.0
KUSTOMIZE_VERSION        ?= v5.8.2

LOCALBIN       ?= $(CURDIR)/bin
CONTROLLER_GEN ?= $(LOCALBIN)/controller-gen-$(CONTROLLER_TOOLS_VERSION)
KUSTOMIZE      ?= $(LOCALBIN)/kustomize-$(KUSTOMIZE_VERSION)
CRD_DIR        ?= config/crd/bases
GO_TEST_FLAGS  ?= -v -count=1 -timeout 45m
FUZZ_TIME      ?= 25s

.PHONY: all
all: build

##@ Development

.PHONY: manifests
manifests: crds ## Regenerate the CRDs (every served version) from api/.

.PHONY: crds
crds: $(CONTROLLER_GEN) ## Write the CRDs into CRD_DIR (the staleness test uses a temporary one).
	@mkdir -p $(CRD_DIR)
	@rm -f $(CRD_DIR)/networking.istio.io_*.yaml $(CRD_DIR)/security.istio.io_*.yaml $(CRD_DIR)/telemetry.istio.io_*.yaml $(CRD_DIR)/policy.sailplane.io_*.yaml
	$(CONTROLLER_GEN) crd:allowDangerousTypes=true paths="./api/..." output:crd:artifacts:config=$(CRD_DIR)
	go run ./test/tools/crdversions $(CRD_DIR)

.PHONY: generate
generate: $(CONTROLLER_GEN) ## Regenerate the DeepCopy methods.
	$(CONTROLLER_GEN) object paths="./api/..."

.PHONY: fmt
fmt: ## gofmt every Go file.
	gofmt -w $$(git ls-files '*.go')

.PHONY: vet
vet: ## go vet every package.
	go vet ./...

.PHONY: envtest
envtest: ## Build the envtest kube-apiserver and etcd into ./bin/k8s (cached).
	@bash test/tools/envtest-binaries.sh

.PHONY: tools
tools: $(CONTROLLER_GEN) $(KUSTOMIZE) ## Install the pinned developer tools into ./bin.

.PHONY: test
test: tools envtest ## Run every test (envtest: the real kube-apiserver and etcd).
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	go vet ./...
	KUBEBUILDER_ASSETS="$$(bash test/tools/envtest-binaries.sh)" \
	  SAILPLANE_CONTROLLER_GEN=$(CONTROLLER_GEN) SAILPLANE_KUSTOMIZE=$(KUSTOMIZE) \
	  go test $(GO_TEST_FLAGS) ./...
	$(MAKE) fuzz

.PHONY: fuzz
fuzz: ## Fuzz the offline path (manifests to Envoy config) for FUZZ_TIME; a crasher lands in internal/translate/testdata/fuzz.
	go test ./internal/translate -run '^$$' -fuzz '^FuzzTranslate$$' -fuzztime $(FUZZ_TIME) -fuzzminimizetime 1s

##@ Build and run

.PHONY: build
build: ## Build sailplane and sailctl into ./bin.
	go build -o $(LOCALBIN)/ ./cmd/...

.PHONY: run
run: envtest ## Run sailplane locally on an embedded API server (no cluster needed).
	go run ./cmd/sailplane --local --local-apply config/samples

.PHONY: bench
bench: envtest ## Run the reference mesh, its scoped run, the reference with a connection per proxy and the 250/1000/4000 growth sizes, and write docs/benchmarks.md (one part: BENCH_ARGS='--parts reference --services 100 --proxies 200').
	go run ./test/bench/cmd/sailbench $(BENCH_ARGS)

.PHONY: deploy-render
deploy-render: $(KUSTOMIZE) ## Render the default deployment.
	$(KUSTOMIZE) build config/default

##@ Tools

$(CONTROLLER_GEN):
	@mkdir -p $(LOCALBIN)
	GOBIN=$(LOCALBIN) go install sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_TOOLS_VERSION)
	@mv $(LOCALBIN)/controller-gen $@

$(KUSTOMIZE):
	@mkdir -p $(LOCALBIN)
	GOBIN=$(LOCALBIN) go install sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION)
	@mv $(LOCALBIN)/kustomize $@

.PHONY: help
help: ## Show the targets.
	@awk 'BEGIN {FS = ":.*##"} /^[a-zA-Z_-]+:.*?##/ { printf "  %-14s %s\n", $$1, $$2 } /^##@/ { printf "\n%s\n", substr($$0, 5) }' $(MAKEFILE_LIST)
