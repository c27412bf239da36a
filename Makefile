# jubao — build, run, test, bench. One place for flags.
#   make            build the programs into build/
#   make run        bootstrap, build, start a private redis-server under var/ and the gateway
#   make test       bootstrap, build, run every test (unit + integration + browser)
#   make asan       the same tests against an AddressSanitizer + UBSan build (build-asan/)
#   make bench      the load benchmark against nginx and redis-benchmark, then the worker
#                   and review benchmark (docs/BENCHMARKS.md)
#   make bench-rules  the rule engine against the naive PCRE2 loop and Vectorscan

BUILD    ?= build
CC       ?= gcc
PKGS     := libmicrohttpd hiredis libsodium jansson libidn2 libpsl libutf8proc libpcre2-8 \
            libjpeg libpng libwebpmux libwebp
WARN     := -Wall -Wextra -Werror -Wpedantic -Wshadow -Wformat=2 -Wstrict-prototypes \
            -Wmissing-prototypes -Wold-style-definition -Wcast-qual -Wpointer-arith -Wvla \
            -Wundef -Wwrite-strings -Wimplicit-fallthrough -Wnull-dereference
OPT      ?= -O2 -g -D_FORTIFY_SOURCE=2
SAN      ?=
CFLAGS   := -std=c17 -D_GNU_SOURCE $(OPT) $(WARN) $(SAN) -fstack-protector-strong -fPIE -pthread \
            -Ilib -Irules -Iworkers $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDFLAGS  := $(SAN) -pie -pthread -Wl,-z,relro,-z,now
LDLIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

LIB_SRC  := $(wildcard lib/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/functions.o
RULES_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(filter-out rules/jubao-rules.c rules/bench.c,$(wildcard rules/*.c)))
GW_OBJ   := $(patsubst %.c,$(BUILD)/%.o,$(filter-out gateway/admin.c,$(wildcard gateway/*.c))) \
            $(BUILD)/gen/assets.o
ASSETS   := $(sort $(wildcard gateway/web/*))
ADM_OBJ  := $(BUILD)/gateway/admin.o
WK_OBJ   := $(patsubst %.c,$(BUILD)/%.o,$(filter-out workers/main.c,$(wildcard workers/*.c)))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
PROGS    := $(BUILD)/jubao-gateway $(BUILD)/jubao-worker $(BUILD)/jubao-admin $(BUILD)/jubao-rules

PREFIX   ?= /usr/local

.PHONY: all run test unit integration browser asan bench bench-rules bootstrap clean check-config install
all: $(PROGS)

$(BUILD)/%.o: %.c $(wildcard lib/*.h gateway/*.h rules/*.h workers/*.h)
	@mkdir -p $(dir $@)
	@echo "CC $<"; $(CC) $(CFLAGS) -c $< -o $@

# The Redis Function library is compiled into the programs, so that the gateway always loads
# the code it was built with (FUNCTION LOAD REPLACE at every connect).
$(BUILD)/gen/functions.c: lib/functions.lua deploy/embed.sh
	@mkdir -p $(dir $@)
	sh deploy/embed.sh store_functions_lua $< > $@
$(BUILD)/gen/functions.o: $(BUILD)/gen/functions.c
	@echo "CC $<"; $(CC) $(CFLAGS) -c $< -o $@

# The web pages' scripts and styles are compiled into the gateway too (served with ETags).
$(BUILD)/gen/assets.c: $(ASSETS) deploy/embed-assets.sh deploy/embed.sh
	@mkdir -p $(dir $@)
	sh deploy/embed-assets.sh $(ASSETS) > $@
$(BUILD)/gen/assets.o: $(BUILD)/gen/assets.c gateway/assets.h
	@echo "CC $<"; $(CC) $(CFLAGS) -Igateway -c $< -o $@

$(BUILD)/jubao-gateway: $(GW_OBJ) $(RULES_OBJ) $(LIB_OBJ)
	@echo "LD $@"; $(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)
$(BUILD)/jubao-worker: $(BUILD)/workers/main.o $(WK_OBJ) $(RULES_OBJ) $(LIB_OBJ)
	@echo "LD $@"; $(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)
# jubao-rules carries the benchmark, which compares with Vectorscan (libhs).
$(BUILD)/jubao-rules: $(BUILD)/rules/jubao-rules.o $(BUILD)/rules/bench.o $(RULES_OBJ) $(LIB_OBJ)
	@echo "LD $@"; $(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS) -lhs
$(BUILD)/jubao-admin: $(ADM_OBJ) $(LIB_OBJ)
	@echo "LD $@"; $(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(LIB_OBJ) $(RULES_OBJ) $(WK_OBJ) \
                  $(filter-out $(BUILD)/gateway/main.o,$(GW_OBJ))
	@mkdir -p $(dir $@)
	@echo "LD $@"; $(CC) $(CFLAGS) -Igateway $(filter-out %.h,$^) -o $@ $(LDFLAGS) $(LDLIBS) -lcmocka

bootstrap:
	@deploy/bootstrap.sh

run: bootstrap
	@$(MAKE) --no-print-directory all
	@deploy/run.sh $(BUILD)

check-config: all
	$(BUILD)/jubao-gateway -n

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

integration: $(PROGS)
	JUBAO_BUILD=$(abspath $(BUILD)) /usr/bin/python3 -m pytest -q tests/integration

# Debian's Chromium driven by playwright-core (tests/browser; bootstrap installs both);
# screenshots of every page go to $(BUILD)/screenshots.
browser: $(PROGS)
	JUBAO_BUILD=$(abspath $(BUILD)) JUBAO_ARTIFACTS=$(abspath $(BUILD))/screenshots \
	  node --test tests/browser/

test: bootstrap
	@$(MAKE) --no-print-directory unit integration browser

asan: bootstrap
	@$(MAKE) --no-print-directory BUILD=build-asan OPT="-O1 -g -fno-omit-frame-pointer" \
	  SAN="-fsanitize=address,undefined -fno-sanitize-recover=all" unit integration browser

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
	rm -rf build build-asan
