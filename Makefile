# zdmctl — see README.md. Every target is safe to run twice.
GO        ?= go
BIN       ?= bin
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X github.com/zdmctl/zdmctl/internal/version.Version=$(VERSION)
N         ?= 3
SHELL     := /bin/bash

.PHONY: all build test test-e2e bench bench-deploy lint fmt vet demo \
        fleet-up fleet-down cassandra-up cassandra-down clean

all: build

# build: the proxy for linux/amd64 first, then zdmctl, which embeds it.
build:
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/zdm-proxy ./cmd/zdm-proxy
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/zdmctl ./cmd/zdmctl

# test: fast unit and integration tests; no root, no network beyond loopback;
# then a short fuzz run of the client handshake (seeds in the test itself).
test:
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 15m ./...
	$(GO) test -run '^$$' -fuzz '^FuzzHandshake$$' -fuzztime 15s ./proxy/

# test-e2e: real hosts (systemd-nspawn fleet, needs root) and real Cassandra.
test-e2e:
	$(GO) test -tags e2e -count=1 -p 1 -timeout 60m -v ./e2e/...

# bench: proxy vs direct table (bin/bench.md, bin/bench.json). On a busy box,
# BENCH_NICE='nice -n -10' favours the measurement over other processes of its cgroup.
bench:
	$(BENCH_NICE) $(GO) test -run '^$$' -bench . -benchtime 1x -timeout 15m ./proxy/bench/

bench-deploy:
	$(GO) test -tags e2e -run '^$$' -bench BenchmarkDeploy -benchtime 1x -timeout 30m -v ./e2e/...

lint: vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...
	$(GO) vet -tags e2e ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

demo:
	$(GO) run ./cmd/zdm-demo

fleet-up:
	./scripts/fleet.sh up $(N)

fleet-down:
	./scripts/fleet.sh down

cassandra-up:
	./scripts/cassandra.sh up

cassandra-down:
	./scripts/cassandra.sh down

clean:
	rm -rf $(BIN)
