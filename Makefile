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

# libFuzzer (clang) over every wire decoder, FUZZ_SECONDS each, starting from the seeds.
FUZZ_SECONDS ?= 30
fuzz: deps
	@CC=clang CXX=clang++ cmake -S . -B build-fuzz -DTW_BUILD_FUZZERS=ON -DTW_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build build-fuzz -j $(JOBS) --target fuzz_envelope fuzz_command fuzz_batch_frame fuzz_topic
	@for t in envelope command batch_frame topic; do \
	  mkdir -p build-fuzz/corpus/$$t && cp -n fuzz/corpus/$$t/* build-fuzz/corpus/$$t/ 2>/dev/null; \
	  echo "== fuzz_$$t ($(FUZZ_SECONDS)s)"; \
	  build-fuzz/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=70000 -print_final_stats=1 build-fuzz/corpus/$$t 2>&1 | tail -n 4 || exit 1; \
	done
