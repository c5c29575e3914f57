"""How `voxdose cohort` reads a CSV table (Docs/COHORT.md "The table"), for the reference
scripts in this folder: missing cells, numbers, column kinds. Written from the documentation,
not from the Swift engine; shared so that the references agree on the reading rules and differ
only in the statistics each one checks."""
import csv
import io
import math
import re

MISSING_WORDS = {"na", "nan", "null"}
NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def is_missing(cell):
    return cell == "" or cell == "." or cell.lower() in MISSING_WORDS


def parse_number(cell):
    if not NUMBER.match(cell):
        return None
    v = float(cell)
    return v if math.isfinite(v) else None


def read_table(path):
    """Header and data rows, cells stripped; blank lines skipped."""
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(io.StringIO(f.read())))
    rows = [[c.strip() for c in r] for r in rows if r]
    header, data = rows[0], rows[1:]
    for r in data:
        assert len(r) == len(header), (path, r)
    return header, data


def column_kind(cells):
    present = [c for c in cells if not is_missing(c)]
    if all(parse_number(c) is not None for c in present):
        return "numeric"
    if all(c.lower() in ("true", "false") for c in present):
        return "boolean"
    return "text"
