#!/usr/bin/env python3
"""The work of one `voxdose case` (90Y PET + FMISO PET, one label image), done with nibabel +
numpy + scipy as a physicist would script it: the peer for the case's timing.

  python3 Benchmarks/case_numpy.py STUDY_DIR OUT_DIR

Reads y90_pet.nii.gz and fmiso_pet.nii.gz (with the decay and SUV factors case_bench.py wrote
into scene.json), writes the LDM dose map (D = C·2^(Δt/T½)·K/ρ, K 49.67 J/GBq, ρ 1.05 g/mL) and
the SUV map as .nii.gz, the lesion table of Benchmarks/lesions_numpy.py (the same statistics,
DVH and SUVpeak) with the normal-liver mean dose, and the ARTE-MISO groups of the plan, as JSON.
Meant to be timed as a whole process.
"""
import json
import sys
from pathlib import Path

import nibabel as nib
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lesions_numpy import lesion_table  # noqa: E402


def main():
    study, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    scene = json.loads((study / "scene.json").read_text())
    pet = nib.load(study / "y90_pet.nii.gz")
    dose = np.asanyarray(pet.dataobj).astype(np.float32) * np.float32(scene["dose_gy_per_bq_per_ml"])
    nib.save(nib.Nifti1Image(dose, pet.affine), out / "dose.nii.gz")
    fmiso = nib.load(study / "fmiso_pet.nii.gz")
    suv = np.asanyarray(fmiso.dataobj).astype(np.float32) * np.float32(scene["suv_per_bq_per_ml"])
    nib.save(nib.Nifti1Image(suv, fmiso.affine), out / "suv.nii.gz")
    labels_image = nib.load(study / "labels.nii.gz")
    labels = np.asanyarray(labels_image.dataobj).astype(np.int32)
    zooms = np.array(labels_image.header.get_zooms()[:3], dtype=np.float64)
    table = lesion_table(labels, dose, suv, zooms, scene["muscle_label"], scene["blood_pool_label"],
                         excluded=(scene["normal_liver_label"],))
    liver = dose[labels == scene["normal_liver_label"]]
    table["references"]["normal_liver_dose_mean_gy"] = float(liver[np.isfinite(liver)].mean())
    (out / "lesions.json").write_text(json.dumps(table))
    groups = [{"label": row["label"], "group": ("hypoxic" if row["t_bp"] > 1.29 else "nonhypoxic")
               + ("_highdose" if row["dose"]["mean_gy"] > 89 else "_lowdose")} for row in table["lesions"]]
    (out / "plan.json").write_text(json.dumps({"lesions": groups}))


if __name__ == "__main__":
    main()
