#!/usr/bin/env python3
"""A one-screen summary of a `voxdose case` folder (for `make demo`): the steps, one line per
lesion (size, Dmean, T/BP, the plan's group, expected response, dose needed, PERCIST), the lung
shunt and MAA prediction against the 90Y PET when there are both, the prescription, the
warnings, and where the files are."""
import json
import math
import sys
from pathlib import Path

folder = Path(sys.argv[1])
case = json.loads((folder / "case.json").read_text())
plan = json.loads((folder / "plan.json").read_text()) if (folder / "plan.json").exists() else {"lesions": []}
table_file = folder / "lesions.json" if (folder / "lesions.json").exists() else folder / "maa_lesions.json"
table = json.loads(table_file.read_text())
response = json.loads((folder / "response.json").read_text()) if (folder / "response.json").exists() else {"lesions": []}
rows = {row["label"]: row for row in table["lesions"]}
percist = {row["label"]: row["category"] for row in response["lesions"]}

print(f"\npatient {case['patient_id']}: {len(case['steps'])} steps in "
      f"{sum(step['seconds'] for step in case['steps']):.1f} s ({', '.join(step['name'] for step in case['steps'])})")
print(f"{'lesion':<22}{'mL':>7}{'Dmean Gy':>10}{'T/BP':>7}  {'group':<22}{'response (95 % CI)':>22}{'needs Gy (range)':>18}  PERCIST")
for lesion in plan["lesions"]:
    row = rows[lesion["label"]]
    ci = lesion.get("expected_response_ci95") or [float("nan")] * 2
    expected = lesion.get("expected_response")
    needed = lesion.get("dose_needed_gy")
    spread = lesion.get("dose_needed_range_gy")  # the default model's range over its scenarios
    needs = "–" if needed is None else f"{needed:.0f}" + (
        "" if not spread else f" ({math.floor(spread[0])}–{'?' if spread[1] is None else math.ceil(spread[1])})")
    print(f"{row['label']:>2} {row['name']:<19}{row['volume_ml']:>7.1f}{row['dose']['mean_gy']:>10.1f}"
          f"{row['t_bp'] if row.get('t_bp') is not None else float('nan'):>7.2f}  {lesion['group'] or '–':<22}"
          f"{'–' if expected is None else f'{expected:.2f} ({ci[0]:.2f}–{ci[1]:.2f})':>22}"
          f"{needs:>18}  {percist.get(row['label'], '–')}")
if (folder / "shunt.json").exists():
    print(f"lung shunt from the MAA SPECT/CT: {100 * json.loads((folder / 'shunt.json').read_text())['lung_shunt_fraction']:.1f} %")
if (folder / "compare.json").exists():
    summary = json.loads((folder / "compare.json").read_text())["summary"]
    print(f"MAA prediction vs 90Y PET ({summary['n']} lesions): mean difference {summary['mean_difference_gy']:+.1f} Gy, "
          f"limits of agreement {summary['limits_of_agreement_gy'][0]:.0f} to {summary['limits_of_agreement_gy'][1]:+.0f} Gy, "
          f"Lin's CCC {summary['lin_ccc']:.2f}")
rx = plan.get("prescription")
if rx and rx.get("activity_gbq") is not None:
    print(f"prescription: {rx['activity_gbq']:.2f} GBq (binding: {rx['binding_constraint']}); at it the normal liver "
          f"gets {rx['normal_liver_dose_gy']:.1f} Gy and the lungs {rx['lung_dose_gy']:.1f} Gy")
for warning in case["warnings"]:
    print(f"warning: {warning}")
print(f"outputs: {folder}/ ({', '.join(sorted(p.name for p in folder.iterdir()))})")
