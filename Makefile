# gazette: plain GNU make.  `make` builds ./gazette, `make test` builds a sanitizer tree
# (build/san) and runs every test, `make run` sends the sample digest to a local Maildir.
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share/gazette
MANDIR  ?= $(PREFIX)/share/man

PKGS    := libcurl yaml-0.1 libidn2 libcmark libesmtp-1.0 openssl
PKGS    += libxml-2.0 json-c
PKGS    += libmicrohttpd
PKGS    += gmime-3.0
# the Debian package that ships each .pc, for the error when pkg-config cannot find one
DEB_libcurl := libcurl4-openssl-dev
DEB_yaml-0.1 := libyaml-dev
DEB_libidn2 := libidn2-dev
DEB_libcmark := libcmark-dev
DEB_libesmtp-1.0 := libesmtp-dev
DEB_openssl := libssl-dev
DEB_libxml-2.0 := libxml2-dev
DEB_json-c := libjson-c-dev
DEB_libmicrohttpd := libmicrohttpd-dev
DEB_gmime-3.0 := libgmime-3.0-dev
CFLAGS  ?= -O2 -g
override CFLAGS += -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -Werror -Wshadow \
	-Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith -Wformat=2 -Iinclude \
	-DGAZETTE_DATADIR='"$(DATADIR)"' -MMD -MP
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
LDLIBS  += $(PKG_LIBS) -lpthread -lm -lunistring
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1
TSANFLAGS := -fsanitize=thread -fno-omit-frame-pointer -g -O1

SRCS    := $(wildcard src/*.c src/*/*.c)
TEMPLATES := $(wildcard templates/*.mustache)
TEMPLATES += $(wildcard templates/web/*.mustache)
OBJS    := $(SRCS:src/%.c=build/%.o) build/builtin_templates.o
SANOBJS := $(SRCS:src/%.c=build/san/%.o) build/san/builtin_templates.o
TSANOBJS := $(SRCS:src/%.c=build/tsan/%.o) build/tsan/builtin_templates.o
LIBOBJS_SAN := $(filter-out build/san/main.o,$(SANOBJS))
UNIT    := $(patsubst tests/unit/%.c,build/san/%,$(wildcard tests/unit/test_*.c))
# helpers the unit tests share (tests/unit/*.c that are not test_*.c), linked into each
UNITHELP := $(patsubst tests/unit/%.c,build/san/unit/%.o,$(filter-out tests/unit/test_%.c,$(wildcard tests/unit/*.c)))
SPEC    := $(patsubst tests/spec/%.c,build/san/%,$(wildcard tests/spec/*.c))
BENCH   := $(patsubst tests/bench/%.c,build/%,$(wildcard tests/bench/bench_*.c))
TOOLS   := $(patsubst tests/tools/%.c,build/san/%,$(wildcard tests/tools/*.c))

ifeq ($(V),1)
Q :=
else
Q := @
endif

.PHONY: all run test tsan bench fuzz lint install clean deps pkgs
all: gazette

deps:
	@scripts/deps.sh install

# Before compiling anything: every library pkg-config must find, or the package to install.
pkgs:
	@missing=; debs=; \
	$(foreach p,$(PKGS),pkg-config --exists $(p) 2>/dev/null || \
		{ missing="$$missing $(p)"; debs="$$debs $(DEB_$(p))"; };) \
	if [ -n "$$missing" ]; then \
		echo "gazette: pkg-config cannot find$$missing; install:" \
			"apt-get install$$debs (or run make deps)" >&2; \
		exit 1; \
	fi

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

build/%.o: src/%.c | build pkgs
	@echo "  CC   $<"
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

build/san/%.o: src/%.c | build/san pkgs
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

build/san/test_%: tests/unit/test_%.c tests/unit/check.h $(UNITHELP) $(LIBOBJS_SAN)
	@echo "  CC   $< (san)"
	$(Q)$(CC) $(CFLAGS) $(SANFLAGS) $(PKG_CFLAGS) -Itests/unit -o $@ $< $(UNITHELP) \
		$(LIBOBJS_SAN) $(LDFLAGS) $(LDLIBS)

build/san/unit/%.o: tests/unit/%.c | build/san pkgs
	@echo "  CC   $< (san)"
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(SANFLAGS) $(PKG_CFLAGS) -Itests/unit -c -o $@ $<

build/san/%: tests/tools/%.c tests/unit/check.h $(LIBOBJS_SAN)
	@echo "  CC   $< (san)"
	$(Q)$(CC) $(CFLAGS) $(SANFLAGS) $(PKG_CFLAGS) -Itests/unit -o $@ $< $(LIBOBJS_SAN) \
		$(LDFLAGS) $(LDLIBS) -lpthread

build/san/spec_%: tests/spec/spec_%.c tests/unit/check.h $(LIBOBJS_SAN)
	@echo "  CC   $< (san)"
	$(Q)$(CC) $(CFLAGS) $(SANFLAGS) $(PKG_CFLAGS) -Itests/unit -o $@ $< $(LIBOBJS_SAN) \
		$(LDFLAGS) $(LDLIBS)

build/tsan/builtin_templates.o: build/builtin_templates.c
	@echo "  CC   $< (tsan)"
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(TSANFLAGS) -c -o $@ $<

build/tsan/%.o: src/%.c | pkgs
	@echo "  CC   $< (tsan)"
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(TSANFLAGS) $(PKG_CFLAGS) -c -o $@ $<

build/tsan/gazette: $(TSANOBJS)
	@echo "  LD   $@"
	$(Q)$(CC) $(CFLAGS) $(TSANFLAGS) -o $@ $(TSANOBJS) $(LDFLAGS) $(LDLIBS)

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

# The threaded send tests again under ThreadSanitizer (build/tsan/gazette).
tsan:
	@scripts/deps.sh install
	@$(MAKE) --no-print-directory build/tsan/gazette
	@tests/tsan.sh

bench:
	@scripts/deps.sh install
	@$(MAKE) --no-print-directory gazette $(BENCH)
	@tests/bench/run.sh

fuzz:
	@tests/fuzz/run.sh

print-pkgs:
	@echo $(PKGS)

lint:
	@! grep -nE '\b(gets|sprintf|vsprintf|strcpy|strcat|strncpy|strncat|strtok|atoi|atol|sscanf)\(' \
		src/*.c src/*/*.c include/*.h || (echo "banned function used (see STYLE.md)"; exit 1)

install: gazette
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/templates $(DESTDIR)$(MANDIR)/man1
	install -m 755 gazette $(DESTDIR)$(BINDIR)/gazette
	install -m 644 templates/* $(DESTDIR)$(DATADIR)/templates/ 2>/dev/null || true
	install -d $(DESTDIR)$(DATADIR)/templates/web
	install -m 644 templates/web/*.mustache $(DESTDIR)$(DATADIR)/templates/web/
	install -m 644 docs/gazette.1 $(DESTDIR)$(MANDIR)/man1/gazette.1

clean:
	rm -rf build gazette

-include $(OBJS:.o=.d) $(SANOBJS:.o=.d) $(TSANOBJS:.o=.d)
-include $(UNIT:=.d) $(SPEC:=.d) $(TOOLS:=.d) $(BENCH:=.d) $(UNITHELP:.o=.d)
