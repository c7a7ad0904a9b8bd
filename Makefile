# weir — build, test and tooling. `make help` lists the targets.

GO          ?= go
BIN         := bin/weir
VERSION     ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS     := -X main.version=$(VERSION)
DATA_DIR    ?= ./weir-data
# The whole suite must finish well within 15 minutes on 2 cores.
TEST_TIMEOUT ?= 12m
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
# kill -9 tests: `make test` runs them with their defaults (durability: 5
# cycles; materialized views: 24 kills over 12000 rows, under a minute),
# `make crash-test` with CRASH_CYCLES, MV_CRASH_KILLS and MV_CRASH_ROWS.
# The Kafka crash test (MVs and an upsert sink over an in-process broker)
# kills 6 times under `make test` (~5 s), KAFKA_CRASH_KILLS times under
# `make crash-test`.
CRASH_CYCLES   ?= 50
MV_CRASH_KILLS ?= 200
MV_CRASH_ROWS  ?= 100000
KAFKA_CRASH_KILLS ?= 60
CRASH_TEST  := ^(TestKillDurability|TestMVCrash|TestKafkaCrash)$$

.PHONY: all build run test test-short lint vet fmt bench crash-test clean help

all: build

help:
	@echo "build       compile $(BIN) (version $(VERSION))"
	@echo "run         build, then serve with --data-dir $(DATA_DIR)"
	@echo "test        go vet, then every test (sqllogictest files, client and kill -9 tests included)"
	@echo "test-short  tests without the binary builds and PostgreSQL oracle"
	@echo "lint        go vet + staticcheck"
	@echo "fmt         gofmt -w"
	@echo "bench       weir bench (weir vs PostgreSQL rows/s, MV pipeline rows/s and batch times, Nexmark events/s and freshness) + go test -bench (Kafka source rows/s)"
	@echo "crash-test  kill -9 tests: durability $(CRASH_CYCLES) cycles, MVs $(MV_CRASH_KILLS) kills over $(MV_CRASH_ROWS) rows, Kafka $(KAFKA_CRASH_KILLS) kills (WEIR_CRASH_SEED=s replays)"
	@echo "clean       remove bin/ and $(DATA_DIR)"

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/weir

run: build
	./$(BIN) serve --data-dir $(DATA_DIR)

# The kill -9 test runs on its own with -v so its summary (kills, rows
# checked, seed) is printed; it runs even when other tests failed, so one
# run reports every failure.
test: vet
	@rc=0; \
	$(GO) test -timeout $(TEST_TIMEOUT) -skip '$(CRASH_TEST)' ./... || rc=1; \
	$(GO) test -timeout $(TEST_TIMEOUT) -count=1 -v -run '$(CRASH_TEST)' ./cmd/weir || rc=1; \
	exit $$rc

test-short:
	$(GO) test -short -timeout $(TEST_TIMEOUT) ./...

vet:
	$(GO) vet ./...

lint: vet
	$(GO) run $(STATICCHECK) ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

# weir bench: ingest and ad-hoc SELECT rows/s beside PostgreSQL (medians of
# 3 interleaved runs; about two minutes on 2 cores), the materialized-view
# pipeline (weir alone: BENCH_FLAGS='--only mv --pg off'), Nexmark q0, q1,
# q2, qw and q5 into a blackhole sink and an MV with freshness under a rate
# (BENCH_FLAGS='--only nexmark --pg off'; about three minutes), then the Go
# micro benchmarks at a short benchtime, BenchmarkKafkaSourceIngest (Kafka
# source rows/s from an in-process broker) among them. BENCH_FLAGS passes flags to weir bench
# (e.g. BENCH_FLAGS='--pg off --only select').
BENCH_FLAGS ?=
BENCHTIME   ?= 200ms
bench: build
	./$(BIN) bench $(BENCH_FLAGS)
	$(GO) test -run='^$$' -bench=. -benchtime=$(BENCHTIME) ./...

crash-test:
	WEIR_CRASH_CYCLES=$(CRASH_CYCLES) WEIR_CRASH_KILLS=$(MV_CRASH_KILLS) WEIR_CRASH_ROWS=$(MV_CRASH_ROWS) WEIR_KAFKA_CRASH_KILLS=$(KAFKA_CRASH_KILLS) \
		$(GO) test -timeout 60m -count=1 -v -run '$(CRASH_TEST)' ./cmd/weir

clean:
	rm -rf bin $(DATA_DIR)
