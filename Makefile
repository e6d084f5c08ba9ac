# toposim build. `make run` and `make test` are the two set-up commands:
# each first installs missing Debian packages (tools/install-deps.sh), then
# re-enters make so pkg-config sees what was just installed.

.DEFAULT_GOAL := all
SHELL := /bin/bash

# `make MPI=1 ...` builds with Open MPI (sweeps and batches spread over
# the ranks of mpirun or srun) in a folder of its own.
ifeq ($(MPI),1)
BUILD ?= build-mpi
endif
BUILD ?= build
PREFIX ?= /usr/local
SCENARIO ?= scenarios/humanoid-basic.xml
VERSION := 0.1.0

PKGS := gsl libxml-2.0 hdf5 cmocka
CC ?= cc
OPT ?= -O2
CFLAGS_ALL = -std=c11 -Wall -Wextra -Werror $(OPT) -g $(EXTRA_CFLAGS)
CPPFLAGS_ALL = -D_POSIX_C_SOURCE=200809L -DTOPOSIM_VERSION='"$(VERSION)"' \
	-Iinclude -Isrc $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# The HDF5 high-level library sits beside libhdf5 (Debian's serial flavour
# keeps both in a folder that only pkg-config's -L names).
LDLIBS_ALL = $(shell pkg-config --libs-only-L hdf5 2>/dev/null) -lhdf5_hl \
	$(shell pkg-config --libs gsl libxml-2.0 hdf5 2>/dev/null) -lm
LDFLAGS_ALL = $(EXTRA_LDFLAGS)
ifeq ($(MPI),1)
CPPFLAGS_ALL += -DTOPOSIM_MPI $(shell mpicc --showme:compile 2>/dev/null)
LDLIBS_ALL += $(shell mpicc --showme:link 2>/dev/null)
endif

LIB_SRC := $(sort $(filter-out src/cli/%,$(wildcard src/*/*.c)))
CLI_SRC := $(sort $(wildcard src/cli/*.c))
TEST_SRC := $(sort $(wildcard tests/unit/test_*.c tests/e2e/test_*.c))
BENCH_SRC := $(sort $(wildcard tools/bench/bench_*.c))
TEST_SUPPORT_SRC := $(sort $(wildcard tests/support/*.c))

GEN_SRC := $(BUILD)/gen/schema_xsd.c
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/schema_xsd.o \
	$(BUILD)/obj/gen/revision.o
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
LIB := $(BUILD)/libtoposim.a
BIN := $(BUILD)/toposim
TEST_BIN := $(patsubst %.c,$(BUILD)/%,$(TEST_SRC))
TEST_SUPPORT_OBJ := $(TEST_SUPPORT_SRC:%.c=$(BUILD)/obj/%.o)
BENCH_BIN := $(patsubst tools/bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))
# vopr's parts besides its main, shared with its tests.
VOPR_SRC := $(sort $(filter-out tools/vopr/vopr.c,$(wildcard tools/vopr/*.c)))
VOPR_OBJ := $(VOPR_SRC:%.c=$(BUILD)/obj/%.o)
VOPR_BIN := $(BUILD)/vopr

.PHONY: all run test asan bench install deps clean fuzz fuzz-smoke vopr \
	_build _run _test _bench _install _deploy_check _fuzz _vopr

# ---- entry points: dependencies first, then a fresh make that sees them ----
all: deps
	@$(MAKE) --no-print-directory _build
run: deps
	@$(MAKE) --no-print-directory _run
test: deps
	@$(MAKE) --no-print-directory _test
bench: deps
	@$(MAKE) --no-print-directory _bench
asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan OPT=-O1 \
	  EXTRA_CFLAGS='-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer' \
	  EXTRA_LDFLAGS='-fsanitize=address,undefined' _test
install: deps
	@$(MAKE) --no-print-directory _install
# libFuzzer harnesses (tools/fuzz/) with clang, ASan and UBSan, in their
# own build folder; FUZZ_SECONDS of fuzzing per harness (see README).
FUZZ_SECONDS ?= 120
fuzz: deps
	@$(MAKE) --no-print-directory CC=clang BUILD=build-fuzz OPT=-O1 \
	  EXTRA_CFLAGS='-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer' \
	  EXTRA_LDFLAGS='-fsanitize=address,undefined' _fuzz
# 1000 random byte mutations of each of three traces (fixed seed): the
# hostile-trace test at a larger count, with the normal build.
fuzz-smoke: deps
	@$(MAKE) --no-print-directory $(BUILD)/tests/unit/test_trace_hostile
	TOPOSIM_MUTATIONS=1000 \
	  TOPOSIM_MUTATION_SCENARIOS="humanoid-basic edge-loss-safe-state wifi-loss-burst" \
	  ./$(BUILD)/tests/unit/test_trace_hostile
# Simulation testing (tools/vopr/): VOPR_SCHEDULES seeded random fault
# schedules against scenarios/*.xml, invariants checked after each.
VOPR_SCHEDULES ?= 1000
VOPR_SEED ?= 1
vopr: deps
	@$(MAKE) --no-print-directory _vopr
deps:
	@bash tools/install-deps.sh $(if $(filter 1,$(MPI)),mpi)

# ---- real targets ----
_build: _deploy_check $(BIN)

# The module table of src/README.md holds in every build, and the
# deployment code does not reach past runtime.h (see the scripts).
_deploy_check:
	@bash tools/check-layers.sh
	@bash tools/check-deploy-includes.sh src/deploy

_run: _deploy_check $(BIN)
	@mkdir -p results
	./$(BIN) run $(SCENARIO) -o results/$(basename $(notdir $(SCENARIO))).h5
	./$(BIN) validate results/$(basename $(notdir $(SCENARIO))).h5

_test: _deploy_check $(BIN) $(TEST_BIN) $(BENCH_BIN) $(VOPR_BIN)
	@bash tools/run-tests.sh $(BUILD) $(TEST_BIN)

FUZZ_BIN := $(patsubst tools/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tools/fuzz/fuzz_*.c))
_fuzz: $(BIN) $(FUZZ_BIN)
	@bash tools/fuzz/run.sh $(BUILD) $(FUZZ_SECONDS)

$(BUILD)/fuzz/%: tools/fuzz/%.c $(LIB)
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $<"
	@$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) $(LDFLAGS_ALL) -fsanitize=fuzzer -o $@ $< \
	  $(LIB) $(LDLIBS_ALL)

_vopr: $(VOPR_BIN)
	./$(VOPR_BIN) --schedules $(VOPR_SCHEDULES) --base-seed $(VOPR_SEED)

$(VOPR_BIN): $(BUILD)/obj/tools/vopr/vopr.o $(VOPR_OBJ) $(LIB)
	@echo "  LINK    $@"
	@$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $^ $(LDLIBS_ALL)

# The vopr tests link its parts (an explicit rule beats the pattern rule).
.SECONDARY: $(VOPR_OBJ)
$(BUILD)/tests/unit/test_vopr: tests/unit/test_vopr.c $(TEST_SUPPORT_OBJ) $(VOPR_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	@echo "  TEST    $<"
	@$(CC) $(CPPFLAGS_ALL) -Itests/support -Itools/vopr $(CFLAGS_ALL) $(LDFLAGS_ALL) -MMD -MP \
	  -o $@ $< $(TEST_SUPPORT_OBJ) $(VOPR_OBJ) $(LIB) -lcmocka $(LDLIBS_ALL)

_bench: $(BENCH_BIN) $(BIN)
	@for b in $(BENCH_BIN); do ./$$b || exit 1; done
	@bash tools/bench/sweep.sh ./$(BIN) 3 $(if $(filter 1,$(MPI)),1,0)

_install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/toposim/schema \
	  $(DESTDIR)$(PREFIX)/share/toposim/models
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/toposim
	install -m 644 scenarios/schema/*.xsd $(DESTDIR)$(PREFIX)/share/toposim/schema/
	install -m 644 models/*.xml $(DESTDIR)$(PREFIX)/share/toposim/models/

$(BIN): $(CLI_OBJ) $(LIB)
	@echo "  LINK    $@"
	@$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $(CLI_OBJ) $(LIB) $(LDLIBS_ALL)

$(LIB): $(LIB_OBJ)
	@rm -f $@
	@echo "  AR      $@"
	@ar rcs $@ $^

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -MMD -MP -c -o $@ $<

$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -c -o $@ $<

# The XSD travels inside the binary (see tools/embed.c).
$(BUILD)/gen/schema_xsd.c: scenarios/schema/toposim.xsd $(BUILD)/tools/embed
	@mkdir -p $(dir $@)
	$(BUILD)/tools/embed ts__schema_xsd $< $@

# The source revision the trace's /meta records: rewritten only when it
# changes, so an unchanged tree rebuilds nothing.
$(BUILD)/gen/revision.c: FORCE
	@mkdir -p $(dir $@)
	@rev=$$(git describe --always --dirty 2>/dev/null || echo unknown); \
	 printf 'const char ts__git_revision[] = "%s";\n' "$$rev" > $@.tmp; \
	 if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
FORCE:

$(BUILD)/tools/embed: tools/embed.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -Wall -Wextra -Werror -O2 -o $@ $<

# Test helpers (tests/support/, e.g. the fake runtime) link into every test;
# kept, not deleted as intermediate files.
.SECONDARY: $(TEST_SUPPORT_OBJ)
$(BUILD)/tests/%: tests/%.c $(TEST_SUPPORT_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	@echo "  TEST    $<"
	@$(CC) $(CPPFLAGS_ALL) -Itests/support $(CFLAGS_ALL) $(LDFLAGS_ALL) -MMD -MP -o $@ $< \
	  $(TEST_SUPPORT_OBJ) $(LIB) -lcmocka $(LDLIBS_ALL)

comma := ,
# bench_targets drops per-event trace rows and times the engine's run and
# link faults by wrapping these library functions at link time (see the
# program). Its own variable, since `make asan` sets EXTRA_LDFLAGS on the
# command line, which would override a target-specific one.
$(BUILD)/bench/bench_targets: BENCH_LDFLAGS = $(addprefix -Wl$(comma)--wrap=,\
	ts_trace_append_message ts_trace_append_job ts_trace_append_link_state \
	ts_trace_append_node_state ts_trace_append_core_state ts_trace_append_event \
	ts_engine_run ts_network_set_link_up)

# bench_trace times the trace writer's appends the same way, and the
# summary level's accumulation.
$(BUILD)/bench/bench_trace: BENCH_LDFLAGS = $(addprefix -Wl$(comma)--wrap=,\
	ts_trace_append_message ts_trace_append_job ts_trace_append_link_state \
	ts_trace_append_node_state ts_trace_append_core_state ts_trace_append_event \
	ts_trace_append_topic_window ts_trace_append_job_window \
	ts_trace_append_node_window ts_trace_append_link_window \
	ts__summary_message ts__summary_job ts__summary_finish \
	ts__state_windows_node ts__state_windows_link \
	ts_trace_writer_commit)

$(BUILD)/bench/%: tools/bench/%.c tools/bench/bench_xml.h $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) $(LDFLAGS_ALL) $(BENCH_LDFLAGS) -o $@ $< $(LIB) $(LDLIBS_ALL)

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
