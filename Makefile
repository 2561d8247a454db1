# Makefile - thin wrapper around Meson/Ninja and the test suites.
#
#   make deps    check (and, as root, install) the Debian packages needed to build and test
#   make build   configure build/ once (debugoptimized), then ninja
#   make run     deps + build, then run the per-user service in the foreground
#   make check   deps + build, then every suite (tests/check.sh); last line "N passed, N failed"
#   make clean   remove build/ and build-asan/

BUILD_PKGS := gcc meson ninja-build pkg-config libcurl4-openssl-dev libuv1-dev \
              libjansson-dev libsqlite3-dev
TEST_PKGS  := python3-pytest curl groff-base man-db tmux openssl iproute2 e2fsprogs strace
# nginx: any of these provides /usr/sbin/nginx; nginx-light is installed when none is.
NGINX_PKGS := nginx-light nginx nginx-core nginx-full nginx-extras

.PHONY: all deps build run check clean

all: build

deps:
	@missing=""; \
	for p in $(BUILD_PKGS) $(TEST_PKGS); do \
	    dpkg-query -W -f='$${Status}\n' "$$p" 2>/dev/null | grep -q 'ok installed' \
	        || missing="$$missing $$p"; \
	done; \
	have_nginx=no; \
	for p in $(NGINX_PKGS); do \
	    dpkg-query -W -f='$${Status}\n' "$$p" 2>/dev/null | grep -q 'ok installed' && have_nginx=yes; \
	done; \
	[ "$$have_nginx" = yes ] || missing="$$missing nginx-light"; \
	if [ -z "$$missing" ]; then echo "deps: all packages present"; exit 0; fi; \
	echo "deps: missing:$$missing"; \
	if [ "$$(id -u)" = 0 ]; then \
	    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing </dev/null; \
	else \
	    echo "deps: run: sudo apt-get install -y$$missing"; exit 1; \
	fi

build:
	@[ -f build/build.ninja ] || meson setup build --buildtype=debugoptimized
	ninja -C build

run: deps build
	exec build/src/daemon/qmgrd --user --foreground

check: deps
	@MAKE="$(MAKE)" tests/check.sh

clean:
	rm -rf build build-asan

# make fuzz   build the libFuzzer targets in build-fuzz/ (clang, ASan+UBSan) and run each for
#             FUZZ_SECONDS (default 60) seconds on its corpus (tests/fuzz/run.sh). Optional for
#             CI; `make check` replays the corpora with the normal build and needs no clang.
FUZZ_PKGS := clang libclang-rt-14-dev

.PHONY: fuzz
fuzz:
	@missing=""; \
	for p in $(FUZZ_PKGS); do \
	    dpkg-query -W -f='$${Status}\n' "$$p" 2>/dev/null | grep -q 'ok installed' \
	        || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	    echo "fuzz: missing:$$missing"; \
	    if [ "$$(id -u)" = 0 ]; then \
	        apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing </dev/null \
	            || exit 1; \
	    else \
	        echo "fuzz: run: sudo apt-get install -y$$missing"; exit 1; \
	    fi; \
	fi
	@FUZZ_SECONDS="$(or $(FUZZ_SECONDS),60)" tests/fuzz/run.sh
