# VoxDose: the two commands of the README, plus the benchmark.
#   make demo   install what is missing, build in release, run the main job on the example
#   make test   install what is missing, build, run every test
#   make bench  the benchmark harness beside the peers in ../shared/peers (see Docs/PERFORMANCE.md)

SWIFT        ?= swift
APT_PACKAGES := libnifti-dev zlib1g-dev libdeflate-dev libisal-dev
VOXDOSE      := .build/release/voxdose
EXAMPLE      := Fixtures/example

.PHONY: deps build demo test bench fixtures clean

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
