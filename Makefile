# azure-core for Lua: development build. `make` builds the C core (libazcore, static and
# shared) and the Lua module azure/core/native.so; `make test` installs what is missing, builds
# and runs every test lane of the default suite. Override LUA_VERSION, LUA, LUA_INCDIR,
# CURL_INCDIR, CFLAGS, PREFIX, DESTDIR as usual.

LUA_VERSION ?= 5.4
LUA         ?= lua$(LUA_VERSION)
ifeq ($(LUA),luajit)
  LUA_VERSION := 5.1
  LUA_INCDIR  ?= /usr/include/luajit-2.1
  LUA_TAG     := luajit
else
  LUA_INCDIR  ?= /usr/include/lua$(LUA_VERSION)
  LUA_TAG     := lua$(LUA_VERSION)
endif
CURL_INCDIR ?= /usr/include
PREFIX      ?= /usr/local
DESTDIR     ?=
LUA_LIBDIR_INSTALL ?= $(PREFIX)/lib/lua/$(LUA_VERSION)
LUA_SHARE_INSTALL  ?= $(PREFIX)/share/lua/$(LUA_VERSION)

CC       ?= cc
# Link-time optimisation lets the hot path inline across files (pipeline walk, policies,
# transport); -fno-semantic-interposition and -Bsymbolic-functions make calls between the
# library's own functions direct instead of PLT hops. Together: -2% instructions and -6% L1
# misses per request in bench/ (docs/pipeline.md, Performance). Fat LTO objects keep machine
# code beside the LTO bytecode, so the installed libazcore.a links with any compiler.
CFLAGS   ?= -O2 -g -flto=auto -ffat-lto-objects
PICFLAGS := -fPIC -fno-semantic-interposition
SOFLAGS  := -shared -Wl,-Bsymbolic-functions
ifeq ($(origin AR),default)
  AR := gcc-ar
endif
WARN     := -std=c99 -Wall -Wextra -pedantic -Wshadow -Wmissing-prototypes \
            -Wstrict-prototypes -Wwrite-strings -Wno-overlength-strings
WARN += $(WARN_EXTRA)
ifeq ($(CI),true)
  WARN += -Werror
endif
CPPFLAGS += -D_POSIX_C_SOURCE=200809L -Isrc/core -I$(CURL_INCDIR)
LIBS     := -lcurl -lssl -lcrypto -lz -lbrotlidec -lzstd -lm -lpthread
SANFLAGS ?=

BUILD     ?= build
CORE_SRC  := $(sort $(wildcard src/core/*.c))
BIND_SRC  := $(sort $(wildcard src/bind/*.c))
CORE_OBJ  := $(CORE_SRC:src/core/%.c=$(BUILD)/core/%.o)
BIND_OBJ  := $(BIND_SRC:src/bind/%.c=$(BUILD)/$(LUA_TAG)/bind/%.o)
CTEST_SRC := $(sort $(wildcard spec/c/test_*.c))
CTEST_BIN := $(CTEST_SRC:spec/c/%.c=$(BUILD)/ctest/%)
NATIVE    := $(BUILD)/$(LUA_TAG)/azure/core/native.so

.PHONY: all lib native ctest test check lanes asan valgrind bench doc install clean deps

all: lib native

lib: $(BUILD)/libazcore.a $(BUILD)/libazcore.so
native: $(NATIVE)

$(BUILD)/core/%.o: src/core/%.c $(wildcard src/core/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) $(SANFLAGS) $(PICFLAGS) -c -o $@ $<

$(BUILD)/$(LUA_TAG)/bind/%.o: src/bind/%.c $(wildcard src/bind/*.h src/core/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -I$(LUA_INCDIR) $(WARN) $(CFLAGS) $(SANFLAGS) $(PICFLAGS) -c -o $@ $<

$(BUILD)/libazcore.a: $(CORE_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/libazcore.so: $(CORE_OBJ)
	$(CC) $(SOFLAGS) $(CFLAGS) $(SANFLAGS) -o $@ $^ $(LIBS)

$(NATIVE): $(BIND_OBJ) $(CORE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(SOFLAGS) $(CFLAGS) $(SANFLAGS) -o $@ $^ $(LIBS)

CTEST_LIBS := -lbrotlienc

$(BUILD)/ctest/%: spec/c/%.c spec/c/ctest.h $(BUILD)/libazcore.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Ispec/c $(WARN) $(CFLAGS) $(SANFLAGS) -o $@ $< $(BUILD)/libazcore.a $(LIBS) $(CTEST_LIBS)

# The bench's C anchor is built with the tests so an API change cannot break it unnoticed.
ctest: $(CTEST_BIN) $(BUILD)/bench/c_pipeline

# bench/run.sh: sequential GETs against a local nginx, every client interleaved (docs/pipeline.md).
# Its C anchor is built here, against the static library: the C pipeline with no Lua state.
bench: all $(BUILD)/bench/c_pipeline
	@sh bench/run.sh

$(BUILD)/bench/c_pipeline: bench/c_pipeline.c bench/clock.h $(BUILD)/libazcore.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) $(SANFLAGS) -o $@ $< $(BUILD)/libazcore.a $(LIBS)

# The README's test command: installs missing Debian packages, builds, runs the C unit tests and
# the busted specs (Lua 5.4), checks the LuaJIT/5.1 builds and the rockspec; last line is
# "N passed, N failed".
test:
	@sh spec/support/run_tests.sh

deps:
	@sh spec/support/deps.sh test

# Every lane: the default suite, the specs under LuaJIT (the OpenResty runtime) with the 5.1
# build, ASan+UBSan, valgrind. support_spec.lua checks the test servers themselves (5.4 only).
LANE_SPECS = $(filter-out spec/support_spec.lua,$(sort $(wildcard spec/*_spec.lua)))
check: test
	$(MAKE) LUA=luajit native
	busted --lua=luajit --cpath="build/luajit/?.so" $(LANE_SPECS)
	$(MAKE) asan
	$(MAKE) valgrind

# Memory-safety lanes: C tests (and, for ASan, the specs) under sanitizers or valgrind.
asan:
	$(MAKE) BUILD=build/asan SANFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer" CFLAGS="-O1 -g" all ctest
	@sh spec/support/run_lane.sh asan

valgrind: all ctest
	@sh spec/support/run_lane.sh valgrind

install: all
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include/azure-core \
	  $(DESTDIR)$(LUA_LIBDIR_INSTALL)/azure/core $(DESTDIR)$(LUA_SHARE_INSTALL)
	install -m 644 $(BUILD)/libazcore.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(BUILD)/libazcore.so $(DESTDIR)$(PREFIX)/lib/
	install -m 644 $(filter-out %_internal.h,$(wildcard src/core/*.h)) $(DESTDIR)$(PREFIX)/include/azure-core/
	install -m 755 $(NATIVE) $(DESTDIR)$(LUA_LIBDIR_INSTALL)/azure/core/
	cd lua && find azure -name '*.lua' -exec install -D -m 644 {} $(DESTDIR)$(LUA_SHARE_INSTALL)/{} \;

clean:
	rm -rf build
