# Padlock: `make run` starts the appliance on this host, `make test` runs every test.
GO      ?= go
DATA    ?= ./var
HTTP    ?= 127.0.0.1:8080
HTTPS   ?= 127.0.0.1:8443
PKGS    := $(shell grep -v '^\#' deps.txt | tr '\n' ' ')
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: run test deps lint tidy-check bench fuzz build screenshots perf

# build says what it is doing: the first build downloads the modules and
# compiles SQLite and the codecs (minutes on 2 cores); -v lists each package
# as it is compiled, so a first `make run` is never silent. Later builds print
# nothing but the line below.
build:
	@echo "building bin/appliance (the first build downloads modules and compiles every package: a few minutes)"
	$(GO) build -v -o bin/appliance ./cmd/appliance

run: build
	./bin/appliance -data $(DATA) -board sim -audio null -http $(HTTP) -https $(HTTPS)

# deps installs the Debian packages the tests need; it is idempotent and does
# nothing (not even apt-get update) when everything is already there.
deps:
	@missing=$$(for p in $(PKGS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing: $$missing"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	else echo "deps: all Debian packages present"; fi

test: deps lint tidy-check
	$(GO) test -race -count=1 -timeout 40m ./...
	$(MAKE) fuzz FUZZTIME=2s

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "not gofmt'ed: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

# tidy-check fails when go.mod or go.sum are not what `go mod tidy` makes.
# gokrazy's dhcp/ntp/randomd commands, which the image builder compiles by
# path, are `tool` directives in go.mod, so tidy keeps their modules.
tidy-check:
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum are not tidy: run go mod tidy"; exit 1; }

# screenshots renders every page the look test walks, at 375 and 1280 px,
# into docs/screenshots (the pictures the docs show are of the pages as they are).
screenshots:
	@mkdir -p docs/screenshots
	PADLOCK_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 -run 'TestEveryPageLooksRight' ./cmd/appliance

bench:
	$(GO) test -run '^$$' -bench . -benchmem $$($(GO) list ./... | grep -v /tests/perf)

# perf measures Padlock beside linphonec on this machine (issue 19): one
# run of tests/perf's BenchmarkSideBySide (the idle phone, then a ZRTP call
# Padlock -> linphonec and the same call between two linphonecs, a minute
# each) in a private network namespace with only loopback. It prints a
# table for docs/BENCHMARKS.md. PERFFLAGS passes more, e.g.
# PERFFLAGS='-perf.call 30s -perf.profile /tmp/prof'. About 3 minutes.
PERFFLAGS ?=
perf: build
	$(GO) test -c -o bin/perf.test ./tests/perf
	unshare --net --map-root-user sh -c 'ip link set lo up && PADLOCK_APPLIANCE=$(CURDIR)/bin/appliance bin/perf.test -test.run "^$$" -test.bench . -test.benchtime 1x -test.v $(PERFFLAGS)'

# fuzz runs every fuzz target for FUZZTIME (make test: 2 s each, so every
# parser meets fresh random input in CI; longer runs by hand).
FUZZTIME ?= 10s
fuzz:
	$(GO) clean -fuzzcache # start from the checked-in seeds only: a big cached corpus can eat the whole FUZZTIME
	GO=$(GO) bash tests/fuzzpass.sh $(FUZZTIME)

# The gokrazy image (docs/HARDWARE.md): `make image` writes bin/padlock.img
# for a Raspberry Pi, `make image QEMU=1` one for QEMU, `make qemu` boots
# that (web admin on https://127.0.0.1:8443/, headset playback in
# bin/padlock.wav), `make update HOST=ip:8080 [QEMU=1]` pushes a new root to
# a running phone through gokrazy's update endpoints.
IMG     ?= bin/padlock.img
QEMU_HTTPS ?= 8443
QEMU_GOKRAZY ?= 8080
.PHONY: image qemu update

image:
	@mkdir -p $(dir $(IMG))
	$(GO) run ./image/cmd/mkimage -o $(IMG) $(if $(QEMU),-qemu)

qemu:
	@mkdir -p $(dir $(IMG))
	@test -f $(IMG) || $(GO) run ./image/cmd/mkimage -o $(IMG) -qemu
	$(GO) run ./image/cmd/qemu -img $(IMG) -https $(QEMU_HTTPS) -gokrazy $(QEMU_GOKRAZY) -wav $(IMG:.img=.wav)

# SOURCE_DATE_EPOCH stamps the image (gokrazy shows it as the build time): the
# last commit's time, so the same commit gives the same image bytes.
image qemu update: export SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null)

update:
	@test -n "$(HOST)" || { echo "usage: make update HOST=phone:8080 [QEMU=1]"; exit 2; }
	$(GO) run ./image/cmd/update -host $(HOST) $(if $(QEMU),-qemu)
