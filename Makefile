# VoxDose: the two commands of the README, plus the benchmark.
#   make demo   install what is missing, build in release, run the main job on the example
#   make test   install what is missing, build, run every test
#   make bench  the benchmark harness beside the peers in ../shared/peers (see Docs/PERFORMANCE.md)
#   make fuzz   the libFuzzer targets of Fuzz/, FUZZ_SECONDS (default 60) each (see Docs/FUZZING.md)

SWIFT        ?= swift
APT_PACKAGES := libnifti-dev zlib1g-dev libdeflate-dev libisal-dev
VOXDOSE      := .build/release/voxdose
EXAMPLE      := Fixtures/example

.PHONY: deps build demo test bench fixtures clean fuzz

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

build: deps
	$(SWIFT) build -c release --product voxdose

# The main job on the example: header, 90Y dose map (LDM and kernel) with per-lesion summary,
# statistics of the dose map, the lesion table with the FMISO SUV map, and the plan.
# Outputs go to .build/demo/.
demo: build
	@mkdir -p .build/demo
	$(VOXDOSE) info $(EXAMPLE)/pet_y90.nii.gz
	$(VOXDOSE) dose $(EXAMPLE)/pet_y90.nii.gz --out .build/demo/dose_ldm.nii.gz \
	    --implant-time 2026-03-02T09:41:00 --reference-time 2026-03-03T10:15:00 \
	    --labels $(EXAMPLE)/labels.nii.gz --summary .build/demo/dose_ldm.json
	$(VOXDOSE) dose $(EXAMPLE)/pet_y90.nii.gz --out .build/demo/dose_dvk.nii.gz --method dvk \
	    --implant-time 2026-03-02T09:41:00 --reference-time 2026-03-03T10:15:00 \
	    --labels $(EXAMPLE)/labels.nii.gz --summary .build/demo/dose_dvk.json
	$(VOXDOSE) stats .build/demo/dose_ldm.nii.gz --labels $(EXAMPLE)/labels.nii.gz --percentiles 2,50,98 --format csv
	$(VOXDOSE) lesions --labels $(EXAMPLE)/labels.nii.gz --names $(EXAMPLE)/labels.tsv \
	    --dose .build/demo/dose_ldm.nii.gz --suv $(EXAMPLE)/fmiso_suv.nii.gz --normal-liver-label 1 \
	    --muscle-mask $(EXAMPLE)/muscle_mask.nii.gz --blood-pool-mask $(EXAMPLE)/blood_pool_mask.nii.gz \
	    --activity 0.530GBq --csv .build/demo/lesions.csv --out .build/demo/lesions.json
	$(VOXDOSE) plan .build/demo/lesions.json --lung-shunt 6% --out .build/demo/plan.json
	@python3 Scripts/plan_summary.py .build/demo/plan.json

test: deps
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
