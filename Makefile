# kefu: the build. `make` builds everything into build/ (or $(BUILD));
# `make test` runs every test; `make bench` prints the benchmark figures;
# `make run` starts a site in the foreground; `make san` is the
# ASan+UBSan build of the tests (into build-san/).
#
# Generated protobuf-c code goes to $(BUILD)/gen and is never edited.

BUILD   ?= build
PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc

PKGS     := libzmq libczmq libprotobuf-c lmdb jansson zlib
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

OPT      ?= -O2
CFLAGS   ?=
CFLAGS   += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g $(OPT) \
            -I$(BUILD)/gen -Icommon $(PKG_CFLAGS) $(SANFLAGS)
LDFLAGS  += $(SANFLAGS)
LDLIBS   += $(PKG_LIBS) -lpthread

PROTOS   := error domain intake event evlog control
GEN_C    := $(PROTOS:%=$(BUILD)/gen/%.pb-c.c)
GEN_H    := $(PROTOS:%=$(BUILD)/gen/%.pb-c.h)

COMMON   := kerr kid krecord kservice pbkind kclock ktime klog kvalid kconfig deadline store arena site pbjson kdaemon \
            evlog_record evlog_event evlog_client consumer ctlserver ctlclient cmdq pbdesc kzmq
COMMON_OBJ := $(COMMON:%=$(BUILD)/common/%.o) $(PROTOS:%=$(BUILD)/gen/%.pb-c.o)
LIBKEFU  := $(BUILD)/libkefu.a

# Each services/NAME/ directory is one program; all its .c files link into it.
SERVICES := evlog intake kefu kefuctl
BIN_evlog   := kefu-evlog
BIN_intake  := kefu-intake
BIN_kefu    := kefu
BIN_kefuctl := kefuctl
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

.PHONY: all test unit integration bench run san install uninstall clean deps
.SECONDARY:

all: $(BINS) $(UNIT_BINS) $(ITEST_BINS) $(TOOL_BINS) $(BENCH_BINS)

# ---- generated protocol code ---------------------------------------------
$(BUILD)/gen/%.pb-c.c $(BUILD)/gen/%.pb-c.h: proto/%.proto
	@mkdir -p $(BUILD)/gen
	protoc-c --c_out=$(BUILD)/gen -Iproto $<

$(BUILD)/gen/%.pb-c.o: $(BUILD)/gen/%.pb-c.c $(GEN_H)
	$(CC) $(CFLAGS) -c -o $@ $<

# ---- the common library --------------------------------------------------
$(BUILD)/common/%.o: common/%.c $(GEN_H) $(wildcard common/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(LIBKEFU): $(COMMON_OBJ)
	rm -f $@
	ar rcs $@ $^

# ---- services ------------------------------------------------------------
define service_rules
$(1)_SRC := $$(wildcard services/$(1)/*.c)
$(1)_OBJ := $$($(1)_SRC:services/$(1)/%.c=$(BUILD)/services/$(1)/%.o)
$(BUILD)/services/$(1)/%.o: services/$(1)/%.c $(GEN_H) $$(wildcard common/*.h services/$(1)/*.h)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS) -Iservices/$(1) -c -o $$@ $$<
$(BUILD)/bin/$(BIN_$(1)): $$($(1)_OBJ) $(LIBKEFU)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS)
endef
$(foreach s,$(SERVICES),$(eval $(call service_rules,$(s))))

# ---- tests, tools, benchmarks --------------------------------------------
# A unit test may test a service module: it links the service's objects
# other than main.o when its name says so (test_evlog_*.c -> services/evlog).
svc_objs = $(filter-out %/main.o,$($(1)_OBJ))
$(BUILD)/tests/test_evlog_%: EXTRA_OBJ = $(call svc_objs,evlog)
$(BUILD)/tests/test_evlog_%: $(evlog_OBJ)
$(BUILD)/tests/test_intake_%: EXTRA_OBJ = $(call svc_objs,intake)
$(BUILD)/tests/test_intake_%: EXTRA_INC = -Iservices/intake
$(BUILD)/tests/test_intake_%: $(intake_OBJ)

$(BUILD)/tests/%: tests/unit/%.c $(LIBKEFU) $(GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Iservices/evlog $(EXTRA_INC) $(LDFLAGS) -o $@ $< $(EXTRA_OBJ) $(LIBKEFU) $(LDLIBS) -lcmocka

$(BUILD)/tests/%: tests/integration/%.c $(LIBKEFU) $(GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBKEFU) $(LDLIBS) -lcmocka

$(BUILD)/tests/%: tests/tools/%.c $(LIBKEFU) $(GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBKEFU) $(LDLIBS)

$(BUILD)/tests/%: tests/bench/%.c $(LIBKEFU) $(GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBKEFU) $(LDLIBS)

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
san:
	$(MAKE) BUILD=build-san OPT=-O1 \
	  SANFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	  test

install: $(BINS)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/systemd/system $(DESTDIR)$(PREFIX)/share/kefu
	install -m 755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
	for u in deploy/systemd/*.service deploy/systemd/*.target; do \
	  [ -f "$$u" ] || continue; \
	  sed 's|@PREFIX@|$(PREFIX)|g' "$$u" > $(DESTDIR)$(PREFIX)/lib/systemd/system/$$(basename $$u); \
	done
	install -m 644 deploy/kefu.ini.example $(DESTDIR)$(PREFIX)/share/kefu/

uninstall:
	rm -f $(foreach s,$(SERVICES),$(DESTDIR)$(PREFIX)/bin/$(BIN_$(s)))
	rm -f $(DESTDIR)$(PREFIX)/lib/systemd/system/kefu*.service $(DESTDIR)$(PREFIX)/lib/systemd/system/kefu.target
	rm -rf $(DESTDIR)$(PREFIX)/share/kefu

clean:
	rm -rf build build-san
