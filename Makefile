# The two commands of the README: `make run` and `make test`.
GO ?= go
BIN := bin/actord

.PHONY: run build test test-go test-e2e lint bench-push bench-export bench-run bench-sync

run:
	$(GO) run ./cmd/actord serve

build:
	$(GO) build -o $(BIN) ./cmd/actord

# Everything CI checks: formatting, vet, Go unit and integration tests
# (including the Go e2e tests against the real binary), then the Node e2e
# suite driving the real binary with the official apify-client.
test: lint test-go test-e2e

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './*/node_modules/*')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

test-go:
	$(GO) test -count=1 ./...

test-e2e: build
	cd e2e && npm ci --no-audit --no-fund --loglevel=error && ACTORD_BIN=../$(BIN) npm test

bench-push:
	bash bench/push/run.sh

bench-export:
	bash bench/export/run.sh

bench-run:
	bash bench/run/run.sh

bench-sync:
	bash bench/sync/run.sh
