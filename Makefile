# hostwatch — every set-up step lives here: `make demo` and `make test` work on a
# fresh machine with Go and the package registries, and nothing else.

GO          ?= go
BIN         := $(CURDIR)/bin
STATICCHECK := $(BIN)/staticcheck
STATICCHECK_VERSION := v0.8.2
BENCHSTAT   := $(BIN)/benchstat
BENCHSTAT_VERSION := v0.0.0-20260908200009-22c9c6c9d4da
# The npm packages the embedded dataset is built from, pinned for reproducible builds.
DATASET_VERSION := 2.3.2026061719
DATASET_PKGS := @ip-location-db/asn@$(DATASET_VERSION) @ip-location-db/geo-whois-asn-country-mmdb@$(DATASET_VERSION) \
                @ip-location-db/asn-country@$(DATASET_VERSION)
# The Go modules the provider ranges are built from (see `make providers`):
# cdncheck's lists, and AWS's ip-ranges.json (createDate 2017-08-07) as the
# newest copy a package registry here holds, in cidranger's test data.
CDNCHECK_MOD := github.com/projectdiscovery/cdncheck@v1.2.19
AWS_RANGES_MOD := github.com/yl2chen/cidranger@v1.0.2
AWS_RANGES_FILE := testdata/aws_ip_ranges.json
# The npm packages the embedded world map is built from (see `make map`).
MAP_PKGS    := world-atlas@2.0.2 i18n-iso-countries@7.14.0
DEMO_ZONE   := testdata/demo/kpu.go.id.zone
# Where `make demo` writes its HTML report, and the README's picture of it.
DEMO_HTML   := bin/demo/kpu.html
DEMO_HTML_ID := bin/demo/kpu-id.html
SCREENSHOT  := docs/report.png
SCREENSHOT_ID := docs/report-id.png
DEMO_NAMES  := pemilu2024.kpu.go.id sirekap-web.kpu.go.id sirekap-api.kpu.go.id kpu.go.id \
               mail.kpu.go.id loop-a.kpu.go.id hilang.kpu.go.id

.PHONY: all build demo test fmt-check vet staticcheck unit netns-tools chromium postgresql csvkit fuzz bench bench-knot bench-check bench-history bench-backends dnsperf dataset providers map screenshot clean

all: build

build:
	$(GO) build -buildvcs=auto -o $(BIN)/hostwatch ./cmd/hostwatch
	$(GO) build -o $(BIN)/zoneserver ./cmd/zoneserver

# The main job, offline: a DNS server on 127.0.0.1 serves the illustrative zone
# in $(DEMO_ZONE) and hostwatch audits its names through it.
demo: build
	@set -e; dir=$$(mktemp -d); \
	$(BIN)/zoneserver -listen 127.0.0.1:0 -zone $(DEMO_ZONE) -addr-file $$dir/addr >$$dir/log 2>&1 & pid=$$!; \
	trap 'kill $$pid 2>/dev/null; rm -rf $$dir' EXIT; \
	for i in $$(seq 100); do [ -s $$dir/addr ] && break; sleep 0.05; done; \
	[ -s $$dir/addr ] || { cat $$dir/log; echo "demo: the zone server did not start" >&2; exit 1; }; \
	addr=$$(cat $$dir/addr); \
	echo "\$$ hostwatch audit --resolver $$addr $(DEMO_NAMES)"; \
	$(BIN)/hostwatch audit -o table --resolver $$addr --timeout 1s $(DEMO_NAMES); \
	echo; echo "\$$ hostwatch lookup 170.33.13.55 8.8.8.8 2001:4860:4860::8888"; \
	$(BIN)/hostwatch lookup -o table 170.33.13.55 8.8.8.8 2001:4860:4860::8888; \
	mkdir -p $(dir $(DEMO_HTML)); \
	$(BIN)/hostwatch audit -o html --lang en --resolver $$addr --timeout 1s $(DEMO_NAMES) > $(DEMO_HTML); \
	$(BIN)/hostwatch audit -o html --lang id --resolver $$addr --timeout 1s $(DEMO_NAMES) > $(DEMO_HTML_ID); \
	echo; echo "HTML report of the audit: $(DEMO_HTML) (one file; opens offline in any browser)"; \
	echo "The same report in Bahasa Indonesia: $(DEMO_HTML_ID)"

test: fmt-check vet staticcheck chromium postgresql csvkit unit

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

# Journalists run hostwatch on Windows and macOS too: the code (tests
# included) is vetted for them as well as for this machine.
vet:
	$(GO) vet ./...
	GOOS=windows $(GO) vet ./...
	GOOS=darwin $(GO) vet ./...

$(STATICCHECK):
	GOBIN=$(BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

staticcheck: $(STATICCHECK)
	$(STATICCHECK) ./...

# HOSTWATCH_CHROMIUM=required: the HTML tests open the reports in headless
# Chromium and fail, rather than skip, when it is missing.
# HOSTWATCH_CSVKIT=required: every CSV hostwatch writes is read back with
# csvkit, failing rather than skipping when it is missing.
# HOSTWATCH_POSTGRES=required: the PostgreSQL tests start a server of their
# own (history/postgres/pgtest) and fail, rather than skip, when they cannot;
# their 8-writer test records 800,000 observations, past go test's default
# 10-minute timeout on a busy machine.
unit: netns-tools
	HOSTWATCH_CHROMIUM=required HOSTWATCH_CSVKIT=required HOSTWATCH_POSTGRES=required $(GO) test -race -count=1 -timeout 40m ./...
	HOSTWATCH_POSTGRES=required $(GO) test -count=1 -timeout 40m -run '^TestShardsAndVantagesAtOnce$$' ./history/postgres

# Debian's Chromium, for the tests that open HTML reports in a real browser.
chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# Debian's csvkit, which reads back every CSV hostwatch writes (the CSVs are
# for watchdogs, who read them with csvkit and Python's csv).
csvkit:
	@command -v csvformat >/dev/null || { apt-get -o DPkg::Lock::Timeout=600 update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq csvkit; }

# Debian's PostgreSQL server, which the history/postgres tests start in a
# temporary directory of their own (as the postgres user when run as root).
postgresql:
	@command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
		{ apt-get -o DPkg::Lock::Timeout=600 update -qq && \
		  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq postgresql; }

# TestPrivateAddresses runs in a network namespace of its own and sets it up
# with ip (iproute2); as root on Debian it is installed here, elsewhere the
# test says why it is skipped.
netns-tools:
	@command -v ip >/dev/null || [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null || \
		{ apt-get update -qq && apt-get install -y -qq iproute2; }

# Every fuzz target in FUZZPKGS (the module), found afresh each run (go test
# -list), one after another for FUZZTIME each. `make test` runs their seeds only, as tests.
# Each new input that widens coverage is minimised for at most
# FUZZMINIMIZETIME (go test's default, 60s, left the MMDB and Cymru targets
# minimising for most of a 5-minute run). FUZZFLAGS passes more flags, e.g.
# FUZZFLAGS=-parallel=1 on a busy machine. A target that fails does not stop
# the others; the run fails at the end, naming them. Go 1.26's coordinator
# sometimes ends a run that found nothing with "context deadline exceeded"
# just as FUZZTIME runs out (Go issue 75804, fixed in Go 1.27): with no
# failing input written, that is reported and not counted as a failure.
FUZZTIME         ?= 30s
FUZZMINIMIZETIME ?= 5s
FUZZFLAGS        ?=
FUZZPKGS         ?= ./...
fuzz:
	@set -e; targets=$$($(GO) test -list '^Fuzz' $(FUZZPKGS) | \
		awk '/^Fuzz/ { names = names " " $$1 } /^ok / { n = split(names, a, " "); for (i = 1; i <= n; i++) print $$2 "@" a[i]; names = "" }'); \
	[ -n "$$targets" ] || { echo "fuzz: no fuzz targets found" >&2; exit 1; }; \
	failed=; log=$$(mktemp); trap 'rm -f $$log $$log.rc' EXIT; \
	for t in $$targets; do \
		pkg=$${t%@*}; name=$${t#*@}; \
		echo "== $$name ($$pkg), $(FUZZTIME)"; \
		{ $(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) $(FUZZFLAGS) $$pkg \
		  && echo 0 >$$log.rc || echo $$? >$$log.rc; } 2>&1 | tee $$log; \
		[ "$$(cat $$log.rc)" = 0 ] && continue; \
		if grep -qx '    context deadline exceeded' $$log && ! grep -q 'Failing input written' $$log; then \
			echo "fuzz: $$name: \"context deadline exceeded\" as FUZZTIME ran out, no failing input: Go issue 75804, not counted"; \
		else failed="$$failed $$name"; fi; \
	done; \
	[ -z "$$failed" ] || { echo "fuzz: failed:$$failed (crashers are in the package's testdata/fuzz/)" >&2; exit 1; }

$(BENCHSTAT):
	GOBIN=$(BIN) $(GO) install golang.org/x/perf/cmd/benchstat@$(BENCHSTAT_VERSION)

# The benchmarks behind the README's figures, six runs each, summarised.
# BenchmarkResolveKnot also runs where knotd is installed (apt-get install knot).
bench: $(BENCHSTAT)
	$(GO) test -run '^$$' -bench 'BenchmarkAudit$$|BenchmarkLookup$$|BenchmarkResolve$$|BenchmarkResolveHotPath$$|BenchmarkResolveKnot$$|BenchmarkJSONL$$|BenchmarkAppendChangeText$$' \
		-count 6 ./probe/ ./attribution/ ./resolvers/ ./reports/ | tee $(BIN)/bench.txt
	$(BENCHSTAT) $(BIN)/bench.txt

# The README's "Running at scale" figures: 8 writers at once (4 shards x 2
# vantages, 25,000 domains each, two rounds) and one run of 100,000 domains,
# into PostgreSQL and into SQLite side by side.
bench-history: postgresql
	$(GO) test ./history/postgres -run '^$$' -bench BenchmarkWriters -benchtime 1x -timeout 60m

# The README's check figures by backend: one check of 100,000 names through
# Knot DNS on loopback into SQLite and into PostgreSQL side by side, then one
# shard of the Kubernetes example, whose requests are sized from it.
bench-backends: postgresql
	@command -v knotd >/dev/null && [ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq knot time; }
	docs/bench/check-backends.sh 100000

# hostwatch as a bulk tool: 100,000 names through Knot DNS on loopback, audit
# and then three checks of the same names, side by side in one run.
bench-knot: dnsperf
	@command -v knotd >/dev/null && [ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq knot time; }
	docs/bench/audit-knot.sh 100000

# Part 10 of issue 8 as go test -bench: a first check of 100,000 names
# against an audit of the same names, side by side in each round (five
# rounds), for each pairing of output formats, and an unchanged second run.
bench-check:
	@command -v knotd >/dev/null || { apt-get update -qq && apt-get install -y -qq knot; }
	$(GO) test ./cmd/hostwatch -run '^$$' -bench BenchmarkCheckKnot -benchtime 5x -timeout 60m

# dnsperf (Debian's package) measures the server's ceiling in bench-knot.
dnsperf:
	@command -v dnsperf >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dnsperf; }

# Rebuild the embedded dataset from the pinned npm packages (needs npm).
dataset:
	@set -e; dir=$$(mktemp -d); trap 'rm -rf $$dir' EXIT; \
	(cd $$dir && npm pack --silent $(DATASET_PKGS)); \
	$(GO) run ./attribution/internal/mkdataset -out attribution/data $$dir/*.tgz

# Rebuild the provider data (ranges.txt, its notices, asn-providers.csv's
# evidence) from the pinned Go modules: a copy of AWS's document is kept
# beside ranges.txt, for the tests that check CloudFront's edges against it.
providers:
	@set -e; $(GO) mod download $(CDNCHECK_MOD) $(AWS_RANGES_MOD); cache=$$($(GO) env GOMODCACHE); \
	cp $$cache/$(AWS_RANGES_MOD)/$(AWS_RANGES_FILE) attribution/provider/data/aws-ip-ranges.json; \
	chmod 644 attribution/provider/data/aws-ip-ranges.json; \
	$(GO) run ./attribution/provider/internal/mkproviders -cdncheck $$cache/$(CDNCHECK_MOD) \
	    -aws attribution/provider/data/aws-ip-ranges.json -aws-from $(AWS_RANGES_MOD)/$(AWS_RANGES_FILE) \
	    -dataset attribution/data -out attribution/provider/data

# Rebuild the embedded world map, and the country shapes probe/geo bounds
# round trips with, from the pinned npm packages (needs npm).
map:
	@set -e; dir=$$(mktemp -d); trap 'rm -rf $$dir' EXIT; \
	(cd $$dir && npm pack --silent $(MAP_PKGS)); \
	$(GO) run ./reports/worldmap/internal/mkmap -out reports/worldmap/data -shapes probe/geo/data/countries.txt $$dir/world-atlas-*.tgz $$dir/i18n-iso-countries-*.tgz

# The README's pictures of the demo's HTML report, in English and in Bahasa Indonesia.
screenshot: chromium demo
	chromium --headless --disable-gpu --no-sandbox --hide-scrollbars --window-size=1100,1500 \
		--screenshot=$(CURDIR)/$(SCREENSHOT) file://$(CURDIR)/$(DEMO_HTML) 2>/dev/null
	chromium --headless --disable-gpu --no-sandbox --hide-scrollbars --window-size=1100,1500 \
		--screenshot=$(CURDIR)/$(SCREENSHOT_ID) file://$(CURDIR)/$(DEMO_HTML_ID) 2>/dev/null
	@echo "wrote $(SCREENSHOT) and $(SCREENSHOT_ID)"

clean:
	rm -rf $(BIN)
