# Ringo: thin entry points; the logic lives in scripts/setup.sh and the
# `ringo` launcher (qemu-tests/).
CARGO ?= cargo
RINGO := $(CARGO) run --quiet --release --bin ringo --
# Arguments for `make run`, e.g. make run ARGS="--smp 2 loglevel=8"
ARGS ?=

.PHONY: all setup kernel run test test-host test-qemu test-fuzz bench fuzz fuzz-parsers go-hp install clippy fmt clean

all: kernel

setup:
	@./scripts/setup.sh

# The kernel ELF with its symbol table embedded: target/ringo/ringo.elf
kernel: setup
	@$(RINGO) build

run: setup
	@$(RINGO) run $(ARGS)

test: test-host test-qemu test-fuzz

# Pure logic, on the host.
test-host: setup
	$(CARGO) test --lib --bins

# Boots the kernel in QEMU (TCG) for every in-QEMU test.
test-qemu: kernel
	$(CARGO) test --release -p qemu-tests --test '*'

# Each parser fuzz target (fuzz/) for 30 s from its checked-in corpus.
test-fuzz: setup
	@./scripts/cargo-fuzz.sh 30

# Measurements (not tests): prints a report and rewrites docs/benchmarks.md.
bench: kernel
	@./scripts/setup.sh bench
	@$(CARGO) run --quiet --release --bin ringo-bench -- --write docs/benchmarks.md

# The long syscall-fuzzer passes, normal and HP mode (qemu-tests/src/bin/ringo-fuzz.rs):
# make fuzz FUZZ_CALLS=10000000 FUZZ_SECONDS=1800 [FUZZ_SEED=n]; a failure prints its seed.
# It first runs fuzz-parsers.
FUZZ_CALLS ?= 10000000
FUZZ_SECONDS ?= 1800
fuzz: kernel fuzz-parsers
	FUZZ_CALLS=$(FUZZ_CALLS) FUZZ_SECONDS=$(FUZZ_SECONDS) $(if $(FUZZ_SEED),FUZZ_SEED=$(FUZZ_SEED)) $(CARGO) run --quiet --release --bin ringo-fuzz

# Coverage-guided fuzzing of the pure parsers (ELF, cpio, command line,
# signal frames, network, ACPI) with cargo fuzz, FUZZ_PARSER_SECONDS per
# target (scripts/cargo-fuzz.sh; a crash prints its input's path).
FUZZ_PARSER_SECONDS ?= 300
fuzz-parsers: setup
	@./scripts/cargo-fuzz.sh $(FUZZ_PARSER_SECONDS)

# The Go 1.23 GOROOT with Ringo's HP-mode runtime patch (hp/go/README.md).
# GOROOT_OUT=dir puts it elsewhere than target/go-hp/goroot.
go-hp:
	@./hp/go/build.sh $(GOROOT_OUT)

install: setup
	$(CARGO) install --locked --path qemu-tests
	@echo "ringo installed; run it from the source tree (or set RINGO_ROOT=$(CURDIR))"

clippy: setup
	$(CARGO) clippy --all-targets
	$(CARGO) clippy --release -p ringo-kernel --target x86_64-unknown-none

fmt:
	$(CARGO) fmt --all

clean:
	$(CARGO) clean
