# kefu: the build. `make` builds everything into build/ (or $(BUILD));
# `make test` runs every test; `make bench` prints the benchmark figures;
# `make run` starts a site in the foreground; `make san` is the
# ASan+UBSan build of the tests (into build-san/); `make fuzz` builds the
# libFuzzer targets with clang (into build-fuzz/) and runs each for
# FUZZ_SECONDS (tests/fuzz/README.md).
#
# Generated protobuf-c code goes to $(BUILD)/gen and is never edited.

BUILD   ?= build
PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc

# libcurl: the SLA notifier's webhooks; libmicrohttpd: the test's receiver;
# libsodium: the log's producer proofs (common/evlog_proof.h).
PKGS     := libzmq libczmq libprotobuf-c lmdb jansson zlib libcurl libmicrohttpd libsodium
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

OPT      ?= -O2
CFLAGS   ?=
CFLAGS   += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g $(OPT) \
            -I$(BUILD)/gen -Icommon $(PKG_CFLAGS) $(SANFLAGS)
LDFLAGS  += $(SANFLAGS)
LDLIBS   += $(PKG_LIBS) -lpthread

# Every proto/*.proto (a daemon's own .proto is built by being there).
PROTOS   := $(sort $(basename $(notdir $(wildcard proto/*.proto))))
GEN_C    := $(PROTOS:%=$(BUILD)/gen/%.pb-c.c)
GEN_H    := $(PROTOS:%=$(BUILD)/gen/%.pb-c.h)

# The daemons, in start order: the names of common/daemons.def's lines
# (the registry, common/registry.h), so a daemon is listed once for the
# C code and the build alike. kefu and kefuctl are programs, not daemons.
# (The sed's "." stands for the line's "(", which make would count.)
DAEMONS  := $(shell sed -n 's/^KEFU_DAEMON.\([a-z][a-z0-9]*\),.*/\1/p' common/daemons.def)

COMMON   := kerr keyfile kfs pbwire kid krecord kservice pbkind kclock ktime klog kvalid kconfig deadline store arena site pbjson kdaemon \
            evlog_record evlog_event evlog_proof evlog_client consumer ctlserver ctlclient cmdq pbdesc kzmq \
            registry site_keys
# Each daemon's configuration keys, services/NAME/NAME_keys.c: data only,
# built into the library (not into kefu-NAME) so `kefu up` checks every
# daemon's keys before it starts one (registry.h says why).
# So are the kinds of its messages' fields, services/NAME/NAME_kinds.c
# (pbkind.h), which pbjson and kvalid read wherever they run.
KEYS_OBJ := $(foreach d,$(DAEMONS),$(BUILD)/services/$(d)/$(d)_keys.o $(BUILD)/services/$(d)/$(d)_kinds.o)
COMMON_OBJ := $(COMMON:%=$(BUILD)/common/%.o) $(PROTOS:%=$(BUILD)/gen/%.pb-c.o) $(KEYS_OBJ)
LIBKEFU  := $(BUILD)/libkefu.a

# Each services/NAME/ directory is one program; all its .c files but the
# key table link into it: kefu-NAME for each daemon, and three programs more
# (kefu-terminal, a floor station's program, is no daemon of the site).
SERVICES := $(DAEMONS) kefu kefuctl terminal
$(foreach d,$(DAEMONS),$(eval BIN_$(d) := kefu-$(d)))
BIN_kefu     := kefu
BIN_kefuctl  := kefuctl
BIN_terminal := kefu-terminal
BINS := $(foreach s,$(SERVICES),$(BUILD)/bin/$(BIN_$(s)))

UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
# Integration tests in C start real daemons; the runner runs them with the rest.
ITEST_SRC  := $(wildcard tests/integration/test_*.c)
ITEST_BINS := $(ITEST_SRC:tests/integration/%.c=$(BUILD)/tests/%)
TOOL_SRC  := $(wildcard tests/tools/*.c)
TOOL_BINS := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tests/%)
BENCH_SRC := $(wildcard tests/bench/*.c)
BENCH_BINS := $(BENCH_SRC:tests/bench/%.c=$(BUILD)/tests/%)
# Fuzz targets, tests/fuzz/fuzz_NAME.c: with clang and libFuzzer under
# `make fuzz`; with the normal compiler and tests/fuzz/fuzz_main.c as
# test_fuzz_NAME, a unit test that runs the seeds and the regressions.
# fuzz_cmd.c is built once per daemon on the kit (every daemon but the
# log: FUZZ_CMD), as cmd_NAME.
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_CMD  := $(filter-out evlog,$(DAEMONS))
FUZZ_NAMES := $(filter-out main cmd,$(FUZZ_SRC:tests/fuzz/fuzz_%.c=%)) $(FUZZ_CMD:%=cmd_%)
FUZZ_TEST_BINS := $(FUZZ_NAMES:%=$(BUILD)/tests/test_fuzz_%)

.PHONY: all test unit integration bench run san fuzz fuzz-smoke fuzz-build fuzz-targets fuzz-seeds \
        install uninstall clean deps
.SECONDARY:

all: $(BINS) $(UNIT_BINS) $(ITEST_BINS) $(TOOL_BINS) $(BENCH_BINS) $(FUZZ_TEST_BINS)

# ---- generated protocol code ---------------------------------------------
$(BUILD)/gen/%.pb-c.c $(BUILD)/gen/%.pb-c.h: proto/%.proto
	@mkdir -p $(BUILD)/gen
	protoc-c --c_out=$(BUILD)/gen -Iproto $<

$(BUILD)/gen/%.pb-c.o: $(BUILD)/gen/%.pb-c.c $(GEN_H)
	$(CC) $(CFLAGS) -c -o $@ $<

# ---- the common library --------------------------------------------------
$(BUILD)/common/%.o: common/%.c $(GEN_H) $(wildcard common/*.h common/*.def)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(LIBKEFU): $(COMMON_OBJ)
	rm -f $@
	ar rcs $@ $^

# ---- services ------------------------------------------------------------
# A daemon's kefuctl commands are rows in services/NAME/NAME_rows.c, with
# the daemon but built into kefuctl (they are its command lines), seeing
# kefuctl's header.
ROWS_SRC := $(foreach d,$(DAEMONS),$(wildcard services/$(d)/$(d)_rows.c))
ROWS_OBJ := $(ROWS_SRC:services/%.c=$(BUILD)/services/%.o)
define service_rules
$(1)_SRC := $$(filter-out services/$(1)/$(1)_keys.c services/$(1)/$(1)_kinds.c services/$(1)/$(1)_rows.c,$$(wildcard services/$(1)/*.c))
$(1)_OBJ := $$($(1)_SRC:services/$(1)/%.c=$(BUILD)/services/$(1)/%.o)
$(BUILD)/services/$(1)/%.o: services/$(1)/%.c $(GEN_H) $$(wildcard common/*.h common/*.def services/$(1)/*.h services/kefuctl/*.h)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS) -Iservices/$(1) $$(if $$(filter %_rows.c,$$<),-Iservices/kefuctl) -c -o $$@ $$<
$(BUILD)/bin/$(BIN_$(1)): $$($(1)_OBJ) $(LIBKEFU)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS)
endef
$(foreach s,$(SERVICES),$(eval $(call service_rules,$(s))))
kefuctl_OBJ += $(ROWS_OBJ)
$(BUILD)/bin/kefuctl: $(ROWS_OBJ)

# ---- tests, tools, benchmarks --------------------------------------------
# A unit test may test a service module: test_NAME_*.c links the objects
# of services/NAME/ other than main.o, and sees its headers, for every
# service of the list (test_evlog_store.c -> services/evlog,
# test_intake_cmd.c -> services/intake).
svc_objs = $(filter-out %/main.o,$($(1)_OBJ))
define unit_rules
$(BUILD)/tests/test_$(1)_%: EXTRA_OBJ = $$(call svc_objs,$(1))
$(BUILD)/tests/test_$(1)_%: EXTRA_INC = -Iservices/$(1)
endef
$(foreach s,$(SERVICES),$(eval $(call unit_rules,$(s))))
# ... and is relinked when they change: a pattern rule without a recipe
# adds no prerequisites, so the objects are named in the rule below, from
# the test's name (test_NAME_*: the second word; none for test_store).
.SECONDEXPANSION:
unit_objs = $(call svc_objs,$(word 2,$(subst _, ,$(1))))
# test_registry checks the build's daemon list against the registry and
# the tree.
$(BUILD)/tests/test_registry: EXTRA_INC = -DKEFU_SERVICES='"$(DAEMONS)"' -DKEFU_SRCDIR='"$(CURDIR)"'
$(BUILD)/tests/test_registry: common/daemons.def

$(BUILD)/tests/%: tests/unit/%.c $(LIBKEFU) $(GEN_H) $$(call unit_objs,$$*)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(EXTRA_INC) $(LDFLAGS) -o $@ $< $(EXTRA_OBJ) $(LIBKEFU) $(LDLIBS) -lcmocka

$(BUILD)/tests/%: tests/integration/%.c $(LIBKEFU) $(GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBKEFU) $(LDLIBS) -lcmocka

$(BUILD)/tests/%: tests/tools/%.c $(LIBKEFU) $(GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBKEFU) $(LDLIBS)

$(BUILD)/tests/%: tests/bench/%.c $(LIBKEFU) $(GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBKEFU) $(LDLIBS)

# ---- fuzz targets ------------------------------------------------------------
# The service a target tests, whose objects (but main.o) it links and
# whose headers it sees: fuzz_cmd_NAME -> NAME, fuzz_terminal and
# fuzz_spool -> terminal (fuzz_terminal #includes term.c, so not term.o),
# fuzz_ckpt -> evlog, fuzz_config -> sched (its sched_conf_load); none
# for the rest.
fuzz_svc  = $(if $(filter cmd_%,$(1)),$(1:cmd_%=%),$(if $(filter terminal spool,$(1)),terminal,$(if $(filter ckpt,$(1)),evlog,$(if $(filter config,$(1)),sched))))
fuzz_objs = $(filter-out %/term.o,$(if $(call fuzz_svc,$(1)),$(call svc_objs,$(call fuzz_svc,$(1)))))
fuzz_inc  = -Itests/fuzz $(if $(call fuzz_svc,$(1)),-Iservices/$(call fuzz_svc,$(1)))

$(BUILD)/tests/test_fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_main.c $(wildcard tests/fuzz/*.h) \
                            $(LIBKEFU) $(GEN_H) $$(call fuzz_objs,$$*)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(call fuzz_inc,$*) -DFUZZ_NAME='"$*"' -DFUZZ_DIR='"$(CURDIR)/tests/fuzz"' \
	  $(LDFLAGS) -o $@ $< tests/fuzz/fuzz_main.c $(call fuzz_objs,$*) $(LIBKEFU) $(LDLIBS)

# fuzz_cmd.c for daemon NAME: its name, and the header of its folder that
# declares NAME_new (sched's is scheduler.h: a sched.h would hide libc's).
fuzz_daemon = -DFUZZ_DAEMON=$(1) \
              -DFUZZ_DAEMON_H='"$(notdir $(shell grep -l '^int $(1)_new\b' services/$(1)/*.h))"'

$(BUILD)/tests/test_fuzz_cmd_%: tests/fuzz/fuzz_cmd.c tests/fuzz/fuzz_main.c $(wildcard tests/fuzz/*.h) \
                                $(LIBKEFU) $(GEN_H) $$(call fuzz_objs,cmd_$$*)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(call fuzz_inc,cmd_$*) $(call fuzz_daemon,$*) -DFUZZ_NAME='"cmd_$*"' \
	  -DFUZZ_DIR='"$(CURDIR)/tests/fuzz"' $(LDFLAGS) -o $@ $< tests/fuzz/fuzz_main.c \
	  $(call fuzz_objs,cmd_$*) $(LIBKEFU) $(LDLIBS)

# The libFuzzer binaries: only in the clang build that `make fuzz-build`
# makes (BUILD=$(FUZZ_BUILD)), where every object has the sanitizers and
# the fuzzer's coverage (SANFLAGS below).
$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(wildcard tests/fuzz/*.h) $(LIBKEFU) $(GEN_H) \
                      $$(call fuzz_objs,$$*)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(call fuzz_inc,$*) -fsanitize=fuzzer $(LDFLAGS) -o $@ $< \
	  $(call fuzz_objs,$*) $(LIBKEFU) $(LDLIBS)

$(BUILD)/fuzz/fuzz_cmd_%: tests/fuzz/fuzz_cmd.c $(wildcard tests/fuzz/*.h) $(LIBKEFU) $(GEN_H) \
                          $$(call fuzz_objs,cmd_$$*)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(call fuzz_inc,cmd_$*) $(call fuzz_daemon,$*) -fsanitize=fuzzer $(LDFLAGS) \
	  -o $@ $< $(call fuzz_objs,cmd_$*) $(LIBKEFU) $(LDLIBS)

fuzz-targets: $(FUZZ_NAMES:%=$(BUILD)/fuzz/fuzz_%)

FUZZ_BUILD   ?= build-fuzz
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SAN     := -fsanitize=address,undefined,fuzzer-no-link -fno-omit-frame-pointer \
                -fno-sanitize-recover=undefined

fuzz-build:
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) OPT=-O1 \
	  SANFLAGS="$(FUZZ_SAN)" fuzz-targets

# Every target (or those FUZZ names) for FUZZ_SECONDS each, one at a time.
fuzz: fuzz-build
	@FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) sh tests/fuzz/run.sh $(FUZZ)

# The seeds (tests/fuzz/corpus/), written again from the encoders.
# fuzz_seeds seals the spool seeds' lines with the spool's own checksum.
$(BUILD)/tests/fuzz_seeds: tests/tools/fuzz_seeds.c $(BUILD)/services/terminal/spool.o $(LIBKEFU) $(GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Iservices/terminal $(LDFLAGS) -o $@ $< $(BUILD)/services/terminal/spool.o \
	  $(LIBKEFU) $(LDLIBS)

fuzz-seeds: $(BUILD)/tests/fuzz_seeds
	$(BUILD)/tests/fuzz_seeds tests/fuzz/corpus
	cp deploy/kefu.ini.example tests/fuzz/corpus/config/example

# CI's short pass.
fuzz-smoke:
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(or $(FUZZ_SMOKE_SECONDS),6)

# ---- commands of the contract ----------------------------------------------
deps:
	@sh deploy/install-deps.sh

# deps first, then a fresh make: the library flags come from pkg-config
# when a Makefile is read, so they must be read after the packages are in.
test:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) sh tests/run.sh

unit: all
	@BUILD=$(BUILD) sh tests/run.sh unit

integration: all
	@BUILD=$(BUILD) sh tests/run.sh integration

bench:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) sh tests/bench/run.sh

run:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory all
	@echo "kefu: the programs are in $(BUILD)/bin (kefu, kefuctl, kefu-*); in another shell:"
	@echo "kefu:   export PATH=\"$(CURDIR)/$(BUILD)/bin:\$$PATH\"; kefuctl status"
	$(BUILD)/bin/kefu up

# The sanitizer build: ASan + UBSan, every test, in its own build folder.
# The whole-site chaos scenario runs in full once, in `make test`; here a
# shorter one (6 rounds, each daemon still killed) keeps CI's time.
san:
	$(MAKE) BUILD=build-san OPT=-O1 SITE_CHAOS_ROUNDS=6 \
	  SANFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	  test

# systemd: one template, kefu@.service, for every daemon; kefu.target's
# Wants= and the "after the log" drop-ins come from the registry
# (DAEMONS), so a new daemon adds no unit file.
UNITDIR   = $(DESTDIR)$(PREFIX)/lib/systemd/system
FIRST     = $(firstword $(DAEMONS))
install: $(BINS)
	install -d $(DESTDIR)$(PREFIX)/bin $(UNITDIR) $(DESTDIR)$(PREFIX)/share/kefu
	install -m 755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
	sed 's|@PREFIX@|$(PREFIX)|g' deploy/systemd/kefu@.service > $(UNITDIR)/kefu@.service
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e '/^#/!s|@WANTS@|$(DAEMONS:%=kefu@%.service)|' \
	    -e '/^#/!s|@FIRST@|kefu@$(FIRST).service|' deploy/systemd/kefu.target.in > $(UNITDIR)/kefu.target
	for d in $(filter-out $(FIRST),$(DAEMONS)); do \
	  install -d $(UNITDIR)/kefu@$$d.service.d; \
	  printf '# written by make install (Makefile): %s starts after the log\n[Unit]\nAfter=kefu@%s.service\n' \
	    "$$d" "$(FIRST)" > $(UNITDIR)/kefu@$$d.service.d/after-$(FIRST).conf; \
	done
	install -m 644 deploy/kefu.ini.example $(DESTDIR)$(PREFIX)/share/kefu/

uninstall:
	rm -f $(foreach s,$(SERVICES),$(DESTDIR)$(PREFIX)/bin/$(BIN_$(s)))
	rm -f $(UNITDIR)/kefu@.service $(UNITDIR)/kefu.target
	rm -f $(UNITDIR)/kefu-*.service    # one unit a daemon, before the template
	rm -rf $(DAEMONS:%=$(UNITDIR)/kefu@%.service.d)
	rm -rf $(DESTDIR)$(PREFIX)/share/kefu

clean:
	rm -rf build build-san build-fuzz
