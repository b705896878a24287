# The two commands of the README. Both do their own set-up on a fresh Debian 12 machine.
#   make test   install missing packages (as root), configure, build, run every test
#   make demo   build, then run a local stack with 1,000 simulated devices (Ctrl-C stops it)
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps configure build test demo clean cross-arm64 cross-armhf asan tsan ubsan fuzz

all: build

deps:
	@bash scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 300

demo: build
	@bash scripts/demo.sh $(BUILD)

asan tsan ubsan:
	@$(MAKE) test BUILD=build-$@ CMAKE_FLAGS="-DCMAKE_BUILD_TYPE=$(shell echo $@ | tr a-z A-Z | sed 's/ASAN/ASan/;s/TSAN/TSan/;s/UBSAN/UBSan/')"

cross-arm64:
	@bash scripts/cross-build.sh arm64

cross-armhf:
	@bash scripts/cross-build.sh armhf

clean:
	rm -rf build build-* run
