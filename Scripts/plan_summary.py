#!/usr/bin/env python3
"""One line per lesion and the prescription of a `voxdose.plan/1` document (for `make demo`)."""
import json
import sys

plan = json.load(open(sys.argv[1]))
for lesion in plan["lesions"]:
    print("lesion {label} ({name}): {group}, expected response {expected_response:.2f} "
          "(95 % CI {lo:.2f}–{hi:.2f}), dose needed {dose_needed_gy:.0f} Gy".format(
              lo=lesion["expected_response_ci95"][0], hi=lesion["expected_response_ci95"][1], **lesion))
rx = plan.get("prescription")
if rx:
    print(f"prescription: {rx['activity_gbq']:.2f} GBq ({rx['binding_constraint']}), normal liver "
          f"{rx['normal_liver_dose_gy']:.1f} Gy, lung {rx['lung_dose_gy']:.1f} Gy")
