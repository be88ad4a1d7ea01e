"""Checks the direction of dependencies between components (DESIGN section 4): a folder of
src/ (and its headers in include/featherstone/) may include only the components listed before
it in ORDER, never a sibling named in APART, and its public headers never a private header of
another folder. Tests (*_test.cc) and test support headers may use any lower component.
Exit 0 when clean; otherwise each violation as FILE:LINE: message, exit 1."""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
ORDER = ["core", "definitions", "registry", "lineage", "connectors", "quality", "transform",
         "offline", "online", "features", "repo", "ingest", "retrieval", "serving", "feedback", "cli"]
# Pairs that must not know each other although one is listed before the other.
APART = {("online", "offline"), ("retrieval", "ingest"), ("connectors", "registry"),
         ("transform", "connectors"), ("transform", "registry"), ("quality", "registry"),
         ("connectors", "lineage"), ("transform", "lineage"), ("quality", "lineage")}
INCLUDE = re.compile(r'#include "featherstone/(\w+)/')


def component_of(path):
    parts = path.relative_to(ROOT).parts
    if parts[0] == "src":
        return parts[1]
    if parts[0] == "include":
        return parts[2]
    return None


def main():
    problems = []
    files = list((ROOT / "src").rglob("*.cc")) + list((ROOT / "src").rglob("*.h")) + \
        list((ROOT / "include" / "featherstone").rglob("*.h"))
    for path in sorted(files):
        me = component_of(path)
        if me not in ORDER:
            problems.append(f"{path}: folder '{me}' is not in the component order")
            continue
        is_test = path.name.endswith("_test.cc") or path.name.startswith("test_")
        for number, line in enumerate(path.read_text().splitlines(), 1):
            m = INCLUDE.match(line)
            if not m or m.group(1) == me:
                continue
            other = m.group(1)
            where = f"{path.relative_to(ROOT)}:{number}"
            if other not in ORDER:
                problems.append(f"{where}: includes unknown component '{other}'")
            elif ORDER.index(other) > ORDER.index(me):
                problems.append(f"{where}: '{me}' may not use '{other}' (listed after it)")
            elif (me, other) in APART and not is_test:
                problems.append(f"{where}: '{me}' and '{other}' must not know each other")
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
