# jubao — build, run, test, bench. One place for flags.
#   make            build the programs into build/
#   make run        bootstrap, build, start a private redis-server under var/ and the gateway
#   make test       bootstrap, build, check the boundaries (check-arch), run every test
#                   (unit + integration + integration-cluster + browser + browser-cluster)
#   make integration-cluster  the API, web and review tests on a real test Redis Cluster
#   make browser-cluster      the browser tests on a real test Redis Cluster
#   make check-arch the includes against docs/ARCHITECTURE.md's tables (deploy/check-arch.py)
#   make asan       the same tests against an AddressSanitizer + UBSan build (build-asan/)
#   make bench      the load benchmark against nginx and redis-benchmark, one Redis against
#                   a 3-primary cluster, then the worker and review benchmark (docs/BENCHMARKS.md)
#   make bench-rules  the rule engine against the naive PCRE2 loop and Vectorscan
#   make fuzz       the libFuzzer targets of tests/fuzz (clang, ASan + UBSan, build-fuzz/),
#                   FUZZ_TIME seconds each (300); `make test` runs them 12 s each

BUILD    ?= build
CC       ?= gcc
PKGS     := libmicrohttpd hiredis libsodium jansson libidn2 libpsl libutf8proc libpcre2-8 libcurl \
            libjpeg libpng libwebpmux libwebp opencc zlib
WARN     := -Wall -Wextra -Werror -Wpedantic -Wshadow -Wformat=2 -Wstrict-prototypes \
            -Wmissing-prototypes -Wold-style-definition -Wcast-qual -Wpointer-arith -Wvla \
            -Wundef -Wwrite-strings -Wimplicit-fallthrough -Wnull-dereference
OPT      ?= -O2 -g -D_FORTIFY_SOURCE=2
SAN      ?=
CFLAGS   := -std=c17 -D_GNU_SOURCE $(OPT) $(WARN) $(SAN) -fstack-protector-strong -fPIE -pthread \
            $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# Each part sees only the headers of the parts it may use (docs/ARCHITECTURE.md, "Arrows";
# make check-arch reads the same table): an include across a boundary does not compile.
INC_lib     := -Ilib
INC_redis   := -Ilib
INC_rules   := -Ilib -Irules
INC_workers := -Ilib -Irules -Iworkers
INC_gateway := -Ilib -Irules -Igateway
INC_bench   := -Ilib -Irules -Igateway
INC_fuzz    := -Ilib -Irules -Igateway
INC_tests   := -Ilib -Irules -Iworkers -Igateway
LDFLAGS  := $(SAN) -pie -pthread -Wl,-z,relro,-z,now
LDLIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -llinear -lm

LIB_SRC  := $(wildcard lib/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/functions.o
RULES_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(filter-out rules/jubao-rules.c rules/bench%.c rules/cmd_%.c,$(wildcard rules/*.c)))
GW_OBJ   := $(patsubst %.c,$(BUILD)/%.o,$(filter-out gateway/admin%.c,$(wildcard gateway/*.c))) \
            $(BUILD)/gen/assets.o
ASSETS   := $(sort $(wildcard gateway/web/*))
ADM_OBJ  := $(patsubst %.c,$(BUILD)/%.o,$(wildcard gateway/admin*.c))
WK_OBJ   := $(patsubst %.c,$(BUILD)/%.o,$(filter-out workers/main.c,$(wildcard workers/*.c)))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
PROGS    := $(BUILD)/jubao-gateway $(BUILD)/jubao-worker $(BUILD)/jubao-admin $(BUILD)/jubao-rules

# Fuzz targets: clang's libFuzzer over the same objects, instrumented for coverage and
# sanitizers, built into build-fuzz/ by fuzz-build; fuzz-run gives each FUZZ_TIME seconds on
# its seed corpus (tests/fuzz/corpus/<target>, read only) plus what it found before
# (build-fuzz/fuzz/corpus/<target>); a crash, leak, sanitizer report or failed check stops it
# with the input in build-fuzz/fuzz/crash-<target>-*.
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN  := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_TIME ?= 300
FUZZ_OPTS := -timeout=10 -rss_limit_mb=2048 -max_len=16384 -print_final_stats=1
FUZZ_MAKE := $(MAKE) --no-print-directory BUILD=build-fuzz CC=clang \
             OPT="-O1 -g -fno-omit-frame-pointer" \
             SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all"

PREFIX   ?= /usr/local

.PHONY: all run test check-arch unit integration integration-cluster browser browser-cluster asan fuzz fuzz-build fuzz-run bench \
        bench-rules bootstrap clean check-config install
all: $(PROGS)

$(BUILD)/%.o: %.c $(wildcard lib/*.h gateway/*.h rules/*.h workers/*.h)
	@mkdir -p $(dir $@)
	@echo "CC $<"; $(CC) $(CFLAGS) $(INC_$(firstword $(subst /, ,$*))) -c $< -o $@

# The Redis Function library (redis/, one library "jubao") is compiled into the programs, so
# that the gateway always loads the code it was built with (FUNCTION LOAD REPLACE at every
# connect): the prelude that redis/prelude.c prints (the constants C and Lua share, from
# lib/schema.h), then redis/*.lua in this order (each file uses what the ones before define).
LUA_SRC  := redis/common.lua redis/reports.lua redis/accounts.lua redis/workers.lua \
            redis/review.lua redis/referrals.lua redis/hooks.lua redis/model.lua
$(BUILD)/gen/prelude: redis/prelude.c lib/schema.h
	@mkdir -p $(dir $@)
	@echo "CC $<"; $(CC) $(CFLAGS) $(INC_redis) $< -o $@ $(LDFLAGS)
$(BUILD)/gen/functions.lua: $(BUILD)/gen/prelude $(LUA_SRC)
	$(BUILD)/gen/prelude > $@ && cat $(LUA_SRC) >> $@
$(BUILD)/gen/functions.c: $(BUILD)/gen/functions.lua deploy/embed.sh
	sh deploy/embed.sh store_functions_lua $< > $@
$(BUILD)/gen/functions.o: $(BUILD)/gen/functions.c
	@echo "CC $<"; $(CC) $(CFLAGS) -c $< -o $@

# The web pages' scripts and styles are compiled into the gateway too (served with ETags).
$(BUILD)/gen/assets.c: $(ASSETS) deploy/embed-assets.sh deploy/embed.sh
	@mkdir -p $(dir $@)
	sh deploy/embed-assets.sh $(ASSETS) > $@
$(BUILD)/gen/assets.o: $(BUILD)/gen/assets.c gateway/assets.h
	@echo "CC $<"; $(CC) $(CFLAGS) $(INC_gateway) -c $< -o $@

$(BUILD)/jubao-gateway: $(GW_OBJ) $(RULES_OBJ) $(LIB_OBJ)
	@echo "LD $@"; $(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)
$(BUILD)/jubao-worker: $(BUILD)/workers/main.o $(WK_OBJ) $(RULES_OBJ) $(LIB_OBJ)
	@echo "LD $@"; $(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)
# jubao-rules carries the benchmark, which compares with Vectorscan (libhs).
CMD_OBJ  := $(patsubst %.c,$(BUILD)/%.o,$(wildcard rules/cmd_*.c))
$(BUILD)/jubao-rules: $(BUILD)/rules/jubao-rules.o $(BUILD)/rules/bench.o \
                      $(BUILD)/rules/bench_triage.o $(CMD_OBJ) $(RULES_OBJ) \
                      $(LIB_OBJ)
	@echo "LD $@"; $(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS) -lhs
$(BUILD)/jubao-admin: $(ADM_OBJ) $(RULES_OBJ) $(LIB_OBJ)
	@echo "LD $@"; $(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(LIB_OBJ) $(RULES_OBJ) $(WK_OBJ) \
                  $(filter-out $(BUILD)/gateway/main.o,$(GW_OBJ))
	@mkdir -p $(dir $@)
	@echo "LD $@"; $(CC) $(CFLAGS) $(INC_tests) $(filter-out %.h,$^) -o $@ $(LDFLAGS) $(LDLIBS) -lcmocka

# bench/stages.c times the gateway's intake steps (bench/run.sh runs it).
$(BUILD)/bench/stages: bench/stages.c $(LIB_OBJ) $(RULES_OBJ) \
                       $(filter-out $(BUILD)/gateway/main.o,$(GW_OBJ))
	@mkdir -p $(dir $@)
	@echo "LD $@"; $(CC) $(CFLAGS) $(INC_bench) $^ -o $@ $(LDFLAGS) $(LDLIBS)

$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz.h $(LIB_OBJ) $(RULES_OBJ) \
                 $(filter-out $(BUILD)/gateway/main.o,$(GW_OBJ))
	@mkdir -p $(dir $@)
	@echo "LD $@"; $(CC) $(CFLAGS) $(INC_fuzz) -fsanitize=fuzzer $(filter-out %.h,$^) -o $@ \
	  $(LDFLAGS) $(LDLIBS)

bootstrap:
	@deploy/bootstrap.sh

run: bootstrap
	@$(MAKE) --no-print-directory all
	@deploy/run.sh $(BUILD)

check-config: all
	$(BUILD)/jubao-gateway -n

# Every #include against the parts, arrows and library owners of docs/ARCHITECTURE.md.
check-arch:
	@/usr/bin/python3 deploy/check-arch.py

# bench/stages is built with the unit tests, so that a change of the intake's functions that
# it times cannot leave make bench broken unnoticed.
unit: $(UNIT_BIN) $(BUILD)/bench/stages
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

# test_cluster.py compares lib/cluster.c with a real cluster through test_cluster's helper modes.
integration: $(PROGS) $(BUILD)/tests/test_cluster
	JUBAO_BUILD=$(abspath $(BUILD)) /usr/bin/python3 -m pytest -q tests/integration

# The same API, web-form and review tests on a real 3-primary, 3-replica test cluster
# (JUBAO_TEST_REDIS=cluster: conftest.py's redis and redis_factory give one per module). Every
# file here exercises the API, the pages or review: reports, batches, idempotency, rate limits,
# status, limits, framing, the web form, review and decisions, sessions and logins,
# duplicates, privacy, pseudonyms, the worker's routing, triage, the gateway's rules and the
# hostile inputs. Not here: tests of one Redis's faults (test_resilience), of processes and
# configuration (test_process, test_run, test_shards, test_harness), of the cluster itself and
# of migrations (test_cluster*, test_shard_*, test_migrate, test_compat; they make their own).
CLUSTER_SUITE := test_intake test_batch test_idempotency test_ratelimit test_status \
                 test_limits test_framing test_web test_review test_decisions test_session \
                 test_login test_duplicates test_privacy test_pseudonyms test_worker \
                 test_triage test_rules_gateway test_naughty test_jsontestsuite \
                 test_referrals test_worker_names test_review_deadlines
integration-cluster: $(PROGS)
	JUBAO_BUILD=$(abspath $(BUILD)) JUBAO_TEST_REDIS=cluster /usr/bin/python3 -m pytest -q \
	  $(patsubst %,tests/integration/%.py,$(CLUSTER_SUITE))

# Debian's Chromium driven by playwright-core (tests/browser; bootstrap installs both);
# screenshots of every page go to $(BUILD)/screenshots.
browser: $(PROGS)
	JUBAO_BUILD=$(abspath $(BUILD)) JUBAO_ARTIFACTS=$(abspath $(BUILD))/screenshots \
	  node --test tests/browser/

# The same browser tests with the gateway and worker on a real test Redis Cluster.
browser-cluster: $(PROGS)
	JUBAO_BUILD=$(abspath $(BUILD)) JUBAO_TEST_REDIS=cluster \
	  JUBAO_ARTIFACTS=$(abspath $(BUILD))/screenshots-cluster node --test tests/browser/

test: bootstrap
	@$(MAKE) --no-print-directory check-arch
	@$(MAKE) --no-print-directory unit integration integration-cluster browser browser-cluster
	@$(FUZZ_MAKE) fuzz-run FUZZ_TIME=12

fuzz-build: $(FUZZ_BIN)

fuzz-run: fuzz-build
	@set -e; for t in $(FUZZ_BIN); do n=$$(basename $$t); echo "== $$n ($(FUZZ_TIME) s)"; \
	  mkdir -p $(BUILD)/fuzz/corpus/$$n; \
	  $$t $(FUZZ_OPTS) -max_total_time=$(FUZZ_TIME) -artifact_prefix=$(BUILD)/fuzz/crash-$$n- \
	    $(BUILD)/fuzz/corpus/$$n tests/fuzz/corpus/$$n 2>$(BUILD)/fuzz/$$n.log \
	    || { tail -60 $(BUILD)/fuzz/$$n.log; exit 1; }; \
	  grep -E '^stat::number_of_executed_units|^Done' $(BUILD)/fuzz/$$n.log; done

fuzz: bootstrap
	@$(FUZZ_MAKE) fuzz-run FUZZ_TIME=$(FUZZ_TIME)

asan: bootstrap
	@$(MAKE) --no-print-directory BUILD=build-asan OPT="-O1 -g -fno-omit-frame-pointer" \
	  SAN="-fsanitize=address,undefined -fno-sanitize-recover=all" unit integration \
	  integration-cluster browser browser-cluster

bench: bootstrap
	@deploy/bootstrap.sh bench
	@$(MAKE) --no-print-directory all
	@bench/run.sh $(BUILD)
	@/usr/bin/python3 bench/review.py $(BUILD)

bench-rules: bootstrap
	@deploy/bootstrap.sh bench
	@$(MAKE) --no-print-directory all
	@sh rules/bench.sh $(BUILD)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)/etc/jubao $(DESTDIR)$(PREFIX)/share/jubao/rules
	install -m 0755 $(PROGS) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 rules/packs/*.rules $(DESTDIR)$(PREFIX)/share/jubao/rules/
	install -m 0644 deploy/redis.conf $(DESTDIR)/etc/jubao/redis.conf
	test -e $(DESTDIR)/etc/jubao/jubao.conf || \
	  $(BUILD)/jubao-gateway --config-example > $(DESTDIR)/etc/jubao/jubao.conf

clean:
	rm -rf build build-asan build-fuzz
