# VoxDose: the two commands of the README, plus the benchmark.
#   make demo   install what is missing, build in release, run the main job on the example
#   make test   install what is missing, build, run every test
#   make bench  the benchmark harness beside the peers in ../shared/peers (see Docs/PERFORMANCE.md)
#   make fuzz   the libFuzzer targets of Fuzz/, FUZZ_SECONDS (default 60) each (see Docs/FUZZING.md)

SWIFT        ?= swift
APT_PACKAGES := libnifti-dev zlib1g-dev libdeflate-dev libisal-dev libssl-dev libpng-dev chromium
VOXDOSE      := .build/release/voxdose
EXAMPLE      := Fixtures/patient

.PHONY: deps pydeps build demo test bench fixtures clean fuzz

# Installs the Debian packages the build links against, when missing (as root, or via sudo).
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then sudo=""; \
	  elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; \
	  else echo "missing Debian packages:$$missing (run make as root, or install them)"; exit 1; fi; \
	  echo "installing:$$missing"; \
	  $$sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -q $$missing; \
	fi

# The PyPI tools the tests use: Snakemake and its SLURM executor plugin (the cluster workflow).
PYPI_PACKAGES := snakemake snakemake-executor-plugin-slurm

pydeps:
	@python3 -c "import snakemake, snakemake_executor_plugin_slurm" 2>/dev/null || \
	  python3 -m pip install -q $(PYPI_PACKAGES) || python3 -m pip install -q --break-system-packages $(PYPI_PACKAGES)

build: deps
	$(SWIFT) build -c release --product voxdose

# The main job: one `voxdose case` on the built-in example patient (Fixtures/patient: 90Y PET/MRI,
# FMISO PET/CT, FDG before and after, 99mTc-MAA SPECT/CT, labels on the MRI and CT grids), a
# summary of its case folder, and the path of its report. Outputs go to .build/demo/EXAMPLE-001/.
demo: build
	@mkdir -p .build/demo
	$(VOXDOSE) case $(EXAMPLE)/study.json --out .build/demo/EXAMPLE-001 --overwrite
	@python3 Scripts/case_summary.py .build/demo/EXAMPLE-001
	@echo "report: $(CURDIR)/.build/demo/EXAMPLE-001/report.html"

test: deps pydeps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

bench: build
	$(SWIFT) build -c release --product voxdose-bench
	python3 Benchmarks/run_bench.py --sizes 128,256,400 --reps 5 --markdown .build/bench.md

# Regenerates the committed fixtures (needs numpy; the reference set also needs nibabel).
fixtures:
	python3 Fixtures/generate_fixtures.py
	python3 Fixtures/reference/make_reference.py

clean:
	rm -rf .build

# The libFuzzer targets of Fuzz/ (Docs/FUZZING.md), one after the other, FUZZ_SECONDS each, on
# working copies of the seed corpus (Fuzz/.build/corpus-<target>); crashing inputs go to
# Fuzz/.build/findings-<target>/ and make the run fail. FUZZ_SANITIZERS=fuzzer builds without
# AddressSanitizer (about 2.5 times the executions per second, memory errors unseen); FUZZ_FLAGS
# adds libFuzzer options (e.g. -fork=1 -ignore_crashes=1 to go on after a crash).
FUZZ_SECONDS    ?= 60
FUZZ_SANITIZERS ?= fuzzer,address
FUZZ_FLAGS      ?=

fuzz: deps
	$(SWIFT) build -c release --package-path Fuzz --scratch-path Fuzz/.build \
	    -Xswiftc -sanitize=$(FUZZ_SANITIZERS) -Xswiftc -parse-as-library
	@work=Fuzz/.build; failed=""; report=""; \
	for spec in nifti:1048576 text:4096; do \
	  t=$${spec%%:*}; len=$${spec#*:}; log=$$work/fuzz-$$t.log; \
	  mkdir -p $$work/corpus-$$t $$work/findings-$$t; \
	  cp -R Fuzz/corpus/$$t/. $$work/corpus-$$t/; \
	  before=$$(ls $$work/findings-$$t | wc -l); \
	  echo "fuzz-$$t: $(FUZZ_SECONDS) s, -max_len=$$len, log in $$log"; \
	  if SWIFT_BACKTRACE=enable=no $$work/release/fuzz-$$t -max_total_time=$(FUZZ_SECONDS) -max_len=$$len \
	       -timeout=10 -rss_limit_mb=4096 -malloc_limit_mb=2048 -detect_leaks=0 -print_final_stats=1 \
	       -artifact_prefix=$$work/findings-$$t/ $(FUZZ_FLAGS) $$work/corpus-$$t >$$log 2>&1; \
	  then status=ok; \
	  else status="FAILED (exit $$?)"; failed="$$failed fuzz-$$t"; tail -n 60 $$log | $(SWIFT) demangle --simplified; fi; \
	  runs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $$log | tail -n 1); \
	  [ -n "$$runs" ] || runs=$$(sed -n 's/^#\([0-9][0-9]*\).*/\1/p' $$log | tail -n 1); \
	  speed=$$(sed -n 's/.*exec\/s: \([0-9][0-9]*\).*/\1/p' $$log | tail -n 1); \
	  report="$$report$$(printf '%-11s %12s %8s %8s %9s  %s' fuzz-$$t "$$runs" "$$speed" \
	    "$$(ls $$work/corpus-$$t | wc -l)" "$$(( $$(ls $$work/findings-$$t | wc -l) - before ))" "$$status")\n"; \
	done; \
	printf '\n%-11s %12s %8s %8s %9s  %s\n' target executions "exec/s" corpus "new finds" status; \
	printf "$$report"; \
	if [ -n "$$failed" ]; then echo "crashing inputs in $$work/findings-*/ (see Docs/FUZZING.md):$$failed"; exit 1; fi
