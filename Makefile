# gazette: plain GNU make.  `make` builds ./gazette, `make test` builds a sanitizer tree
# (build/san) and runs every test, `make run` sends the sample digest to a local Maildir.
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share/gazette
MANDIR  ?= $(PREFIX)/share/man

PKGS    := libcurl yaml-0.1 libidn2 libcmark libesmtp-1.0 openssl gmime-3.0
CC      ?= cc
CFLAGS  ?= -O2 -g
override CFLAGS += -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -Werror -Wshadow \
	-Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith -Wformat=2 -Iinclude \
	-DGAZETTE_DATADIR='"$(DATADIR)"' -MMD -MP
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
LDLIBS  += $(PKG_LIBS) -lpthread -lm
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1

SRCS    := $(wildcard src/*.c src/*/*.c)
TEMPLATES := $(wildcard templates/*.mustache)
OBJS    := $(SRCS:src/%.c=build/%.o) build/builtin_templates.o
SANOBJS := $(SRCS:src/%.c=build/san/%.o) build/san/builtin_templates.o
LIBOBJS_SAN := $(filter-out build/san/main.o,$(SANOBJS))
UNIT    := $(patsubst tests/unit/%.c,build/san/%,$(wildcard tests/unit/test_*.c))
SPEC    := $(patsubst tests/spec/%.c,build/san/%,$(wildcard tests/spec/*.c))
BENCH   := $(patsubst tests/bench/%.c,build/%,$(wildcard tests/bench/bench_*.c))
TOOLS   := $(patsubst tests/tools/%.c,build/san/%,$(wildcard tests/tools/*.c))

ifeq ($(V),1)
Q :=
else
Q := @
endif

.PHONY: all run test bench fuzz lint install clean deps check-deps
all: gazette

deps:
	@scripts/deps.sh install

gazette: $(OBJS)
	@echo "  LD   $@"
	$(Q)$(CC) $(CFLAGS) $(PKG_CFLAGS) -o $@ $(OBJS) $(LDFLAGS) $(LDLIBS)

build/builtin_templates.c: $(TEMPLATES) scripts/embed-templates.sh | build
	@echo "  GEN  $@"
	$(Q)scripts/embed-templates.sh $@ $(TEMPLATES)

build/builtin_templates.o: build/builtin_templates.c
	@echo "  CC   $<"
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

build/san/builtin_templates.o: build/builtin_templates.c | build/san
	@echo "  CC   $< (san)"
	$(Q)$(CC) $(CFLAGS) $(SANFLAGS) -c -o $@ $<

build/%.o: src/%.c | build
	@echo "  CC   $<"
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

build/san/%.o: src/%.c | build/san
	@echo "  CC   $< (san)"
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(SANFLAGS) $(PKG_CFLAGS) -c -o $@ $<

build/san/gazette: $(SANOBJS)
	@echo "  LD   $@"
	$(Q)$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $(SANOBJS) $(LDFLAGS) $(LDLIBS)

build/bench_%: tests/bench/bench_%.c $(filter-out build/main.o,$(OBJS))
	@echo "  CC   $<"
	$(Q)$(CC) $(CFLAGS) $(PKG_CFLAGS) -o $@ $< $(filter-out build/main.o,$(OBJS)) \
		$(LDFLAGS) $(LDLIBS)

build/san/test_%: tests/unit/test_%.c tests/unit/check.h $(LIBOBJS_SAN)
	@echo "  CC   $< (san)"
	$(Q)$(CC) $(CFLAGS) $(SANFLAGS) $(PKG_CFLAGS) -Itests/unit -o $@ $< $(LIBOBJS_SAN) \
		$(LDFLAGS) $(LDLIBS)

build/san/%: tests/tools/%.c tests/unit/check.h $(LIBOBJS_SAN)
	@echo "  CC   $< (san)"
	$(Q)$(CC) $(CFLAGS) $(SANFLAGS) $(PKG_CFLAGS) -Itests/unit -o $@ $< $(LIBOBJS_SAN) \
		$(LDFLAGS) $(LDLIBS) -lpthread

build/san/spec_%: tests/spec/spec_%.c tests/unit/check.h $(LIBOBJS_SAN)
	@echo "  CC   $< (san)"
	$(Q)$(CC) $(CFLAGS) $(SANFLAGS) $(PKG_CFLAGS) -Itests/unit -o $@ $< $(LIBOBJS_SAN) \
		$(LDFLAGS) $(LDLIBS)

build build/san:
	@mkdir -p $@

run:
	@scripts/deps.sh install
	@$(MAKE) --no-print-directory gazette
	@scripts/run-sample.sh

test:
	@scripts/deps.sh install
	@$(MAKE) --no-print-directory build/san/gazette $(UNIT) $(SPEC) $(TOOLS)
	@tests/run.sh

bench:
	@scripts/deps.sh install
	@$(MAKE) --no-print-directory gazette $(BENCH)
	@tests/bench/run.sh

fuzz:
	@tests/fuzz/run.sh

lint:
	@! grep -nE '\b(gets|sprintf|vsprintf|strcpy|strcat|strncpy|strncat|strtok|atoi|atol|sscanf)\(' \
		src/*.c src/*/*.c include/*.h || (echo "banned function used (see STYLE.md)"; exit 1)

install: gazette
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/templates $(DESTDIR)$(MANDIR)/man1
	install -m 755 gazette $(DESTDIR)$(BINDIR)/gazette
	install -m 644 templates/* $(DESTDIR)$(DATADIR)/templates/ 2>/dev/null || true
	install -m 644 docs/gazette.1 $(DESTDIR)$(MANDIR)/man1/gazette.1

clean:
	rm -rf build gazette

-include $(OBJS:.o=.d) $(SANOBJS:.o=.d)
