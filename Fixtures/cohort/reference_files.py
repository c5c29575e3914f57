"""Writing the committed files of the reference scripts in this folder: only what changed, or
with --check nothing (the scripts then say what would change). Shared so that every script
writes and checks its files the same way."""
import math
import os


def assert_finite(obj):
    """Every float in a nested dict/list is finite (JSON has no NaN or infinity)."""
    if isinstance(obj, float):
        assert math.isfinite(obj)
    elif isinstance(obj, dict):
        for v in obj.values():
            assert_finite(v)
    elif isinstance(obj, list):
        for v in obj:
            assert_finite(v)


def write_changed(folder, texts, check):
    """Writes each {file name: text} whose file in `folder` differs (unless `check`); returns the
    names that differ, in order."""
    changed = []
    for name, text in texts.items():
        path = os.path.join(folder, name)
        old = open(path, encoding="utf-8").read() if os.path.exists(path) else None
        if old != text:
            changed.append(name)
            if not check:
                with open(path, "w", encoding="utf-8", newline="") as f:
                    f.write(text)
    return changed
