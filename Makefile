# walpipe - PostgreSQL change data capture as small commands over pipes.
#
#   make                build every command into bin/
#   make check          install what is missing, build, run every test
#   make demo           run the reference scenario end to end
#   make bench          run the benchmarks in bench/
#   make fuzz           run each fuzz target for FUZZ_SECONDS
#   make format         rewrite the C sources in the style of .clang-format
#   make format-check   fail if make format would change a line (make check)
#   make install        install binaries, man pages, bash completion (PREFIX, DESTDIR)
#   make SANITIZE=1 check   the same suite under ASan + UBSan
#   make WERROR=1       warnings are errors (CI and make check)

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
DESTDIR ?=

VERSION := 0.1.0
COMMANDS := pg-wal-tail cdc-envelope kafka-pub kafka-sub pg-apply pg-verify
# Operator scripts installed next to the commands.
TOOLS    := scripts/walpipe-run scripts/walpipe-ctl

CC      ?= cc
PKGS    := libpq rdkafka
# pkg-config is asked once, when a compile or link first needs the answer,
# never while the Makefile is parsed: targets that install packages
# (deps, check, demo, bench) run scripts/deps and then a new make, which
# sees what deps installed.  A missing package stops the build here, by name.
pkgconf = $(or $(shell pkg-config $(1) $(PKGS) 2>/dev/null),$(error \
	pkg-config finds no $(PKGS): run 'make deps' (scripts/deps) first, \
	or set PKG_CONFIG_PATH))
PKG_CFLAGS = $(eval PKG_CFLAGS := $(call pkgconf,--cflags))$(PKG_CFLAGS)
PKG_LIBS   = $(eval PKG_LIBS := $(call pkgconf,--libs))$(PKG_LIBS)

CFLAGS  ?= -O2 -g
WFLAGS  := -Wall -Wextra -Wstrict-prototypes -Wno-unused-parameter
ifeq ($(WERROR),1)
WFLAGS  += -Werror
endif
ifneq ($(SANITIZE),)
ifeq ($(SANITIZE),1)
override SANITIZE := address,undefined
endif
CFLAGS  += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SANITIZE)
endif
ALL_CFLAGS = -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -DWALPIPE_VERSION='"$(VERSION)"' \
	-Icommon $(PKG_CFLAGS) $(CPPFLAGS) $(WFLAGS) $(CFLAGS)
LIBS    = $(PKG_LIBS) -lm

B := build$(if $(SANITIZE),-san)
# Sanitized binaries live apart, so an ordinary build never picks them up.
BIN := $(if $(SANITIZE),$(B)/bin,bin)

COMMON_SRCS := $(wildcard common/*.c)
COMMON_OBJS := $(COMMON_SRCS:%.c=$(B)/%.o)
LIBCOMMON   := $(B)/libcommon.a

# Each command: cmd/NAME/main.c holds main(); its other files form
# $(B)/cmd/NAME/lib.a so that unit tests and fuzz targets can link them.
cmd_srcs = $(filter-out cmd/$(1)/main.c,$(wildcard cmd/$(1)/*.c))
# pg-verify --repair writes change lines with pg-wal-tail's own code.
pg-verify_USES := pg-wal-tail
cmd_lib  = $(B)/cmd/$(1)/lib.a

UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/unit/%)

.PHONY: all clean check unit deps demo bench fuzz fuzz-build install uninstall man-lint format format-check

all: $(COMMANDS:%=$(BIN)/%)

$(B)/%.o: %.c $(wildcard common/*.h) $(wildcard cmd/*/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBCOMMON): $(COMMON_OBJS)
	rm -f $@ && $(AR) rcs $@ $^

define COMMAND_RULES
$(call cmd_lib,$(1)): $(patsubst %.c,$(B)/%.o,$(call cmd_srcs,$(1)))
	@mkdir -p $$(dir $$@)
	rm -f $$@ && $(AR) rcs $$@ $$^ $(B)/empty.o
$(BIN)/$(1): $(B)/cmd/$(1)/main.o $(call cmd_lib,$(1)) $(foreach u,$($(1)_USES),$(call cmd_lib,$(u))) $(LIBCOMMON)
	@mkdir -p $(BIN)
	$(CC) $(LDFLAGS) -o $$@ $$^ $$(LIBS)
endef
$(foreach c,$(COMMANDS),$(eval $(call COMMAND_RULES,$(c))))

# An empty member keeps ar happy for commands that are a single main.c.
$(B)/empty.o:
	@mkdir -p $(B)
	echo 'typedef int walpipe_empty;' | $(CC) -x c -c -o $@ -

$(patsubst %,$(B)/cmd/%/lib.a,$(COMMANDS)): $(B)/empty.o

# tests/unit/NAME.c links libcommon and, if NAME is a command, its lib.a;
# NAME_UNIT_LIBS names the commands whose lib.a it links otherwise.
# dbzvocab writes values with cdc-envelope's converters, reads them with pg-apply's.
dbzvocab_UNIT_LIBS := cdc-envelope pg-apply
$(B)/unit/%: tests/unit/%.c tests/unit/tap.h $(LIBCOMMON) $(foreach c,$(COMMANDS),$(call cmd_lib,$(c)))
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< \
		$(if $(filter $*,$(COMMANDS)),$(call cmd_lib,$*)) \
		$(foreach u,$($*_UNIT_LIBS),$(call cmd_lib,$(u))) $(LIBCOMMON) $(LDFLAGS) $(LIBS)

unit: $(UNIT_BINS)

deps:
	@scripts/deps

# Each of these installs first, then builds in a new make that parses the
# Makefile again (tests/build.bats proves the order on an empty pkg-config).
check: deps
	$(MAKE) WERROR=1 all unit
	@$(MAKE) --no-print-directory format-check
	WALPIPE_UNIT_TESTS="$(UNIT_BINS)" WALPIPE_BIN="$(CURDIR)/$(BIN)" tests/run

demo: deps
	$(MAKE) all
	scripts/demo

bench: deps
	$(MAKE) all
	bench/run

# Fuzz targets: fuzz/NAME.c defines LLVMFuzzerTestOneInput; built with
# clang's libFuzzer, ASan and UBSan over the same sources.
FUZZ_SRCS  := $(wildcard fuzz/*.c)
FUZZ_BINS  := $(FUZZ_SRCS:fuzz/%.c=build-fuzz/%)
FUZZ_SECONDS ?= 30
FUZZ_CFLAGS = -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -Icommon $(PKG_CFLAGS) -g -O1 \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

build-fuzz/%: fuzz/%.c $(COMMON_SRCS) $(wildcard cmd/*/*.c) $(wildcard common/*.h)
	@mkdir -p build-fuzz
	clang $(FUZZ_CFLAGS) -o $@ $< $(COMMON_SRCS) \
		$(if $(wildcard fuzz/$*.deps),$(shell cat fuzz/$*.deps)) $(LIBS)

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	@for f in $(FUZZ_BINS); do \
		n=$$(basename $$f); mkdir -p build-fuzz/corpus-$$n; \
		echo "fuzz: $$n for $(FUZZ_SECONDS) s"; \
		$$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 build-fuzz/corpus-$$n fuzz/seeds/$$n \
			2>build-fuzz/$$n.log || { tail -40 build-fuzz/$$n.log; exit 1; }; \
	done

# The C sources .clang-format governs.
FORMAT_SRCS := $(sort $(wildcard cmd/*/*.[ch] common/*.[ch] tests/unit/*.[ch] fuzz/*.[ch]))

format:
	clang-format -i $(FORMAT_SRCS)

format-check:
	@clang-format --dry-run -Werror $(FORMAT_SRCS) || \
		{ echo "format-check: the lines above differ from .clang-format: run make format" >&2; exit 1; }

man-lint:
	@for m in man/man1/*.1 man/man5/*.5 man/man7/*.7; do mandoc -T lint -W warning $$m || exit 1; done

# Every page under man/ (man1, man5, man7...) and the completion once per
# command name, as bash-completion loads it on first use.
MANPAGES  := $(wildcard man/man*/*.[1-9])
COMPLETED := $(COMMANDS) walpipe-ctl

install: all
	install -d "$(DESTDIR)$(BINDIR)" "$(DESTDIR)$(BASHCOMPDIR)"
	install -m 755 $(COMMANDS:%=bin/%) $(TOOLS) "$(DESTDIR)$(BINDIR)"
	for m in $(MANPAGES); do \
		d="$(DESTDIR)$(MANDIR)/$$(basename $$(dirname $$m))"; \
		install -d "$$d" && install -m 644 "$$m" "$$d" || exit 1; \
	done
	for c in $(COMPLETED); do \
		install -m 644 completions/walpipe.bash "$(DESTDIR)$(BASHCOMPDIR)/$$c" || exit 1; \
	done

uninstall:
	rm -f $(COMMANDS:%="$(DESTDIR)$(BINDIR)/%") $(TOOLS:scripts/%="$(DESTDIR)$(BINDIR)/%")
	for m in $(MANPAGES); do \
		rm -f "$(DESTDIR)$(MANDIR)/$$(basename $$(dirname $$m))/$$(basename $$m)"; \
	done
	rm -f $(COMPLETED:%="$(DESTDIR)$(BASHCOMPDIR)/%")

clean:
	rm -rf bin build build-san build-fuzz
