"""Python transforms: sources of ``kind: python`` (docs/connectors.md "Python transforms").

A python source names a function ``transform: MODULE:FUNCTION`` and an ``input: SOURCE``.
``FeatureStore.run_transform(name)`` calls the function once per published ingest of the input
that it has not transformed yet, with that ingest's rows (a pyarrow Table of the input's
columns, in input order), and ingests what it returns into the python source through the same
path as any ingest (schema, contract, quarantine, one atomic publish). The output ingest is
labelled with the input ingest it came from, so a run that dies before its publish is redone
and a finished one is never redone: each input ingest is transformed exactly once.
Memory: one input ingest's rows and the function's output at a time.
"""
from __future__ import annotations

import importlib
import sys
from typing import Any, Callable, Iterator, List, Tuple

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ._errors import DefinitionError

_SEQ = "__seq"  # (ingest id << 32) | row: offline/part_file.h


def label(transform: str, input_source: str, ingest_id: int) -> str:
    """The `input` of the output ingest made from input ingest `ingest_id`."""
    return f"transform {transform} of {input_source} ingest #{ingest_id}"


def load_function(repo_dir: str, source: str, transform: str) -> Callable[[pa.Table], Any]:
    """The function named `transform` ("MODULE:FUNCTION"); MODULE is looked up in the
    repository folder first, then on the Python path."""
    module_name, _, function = transform.partition(":")
    if repo_dir not in sys.path:
        sys.path.insert(0, repo_dir)
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise DefinitionError(f"source '{source}': transform '{transform}': cannot import "
                              f"module '{module_name}' (looked in {repo_dir} and on the Python "
                              f"path): {e}") from e
    fn = getattr(module, function, None)
    if not callable(fn):
        raise DefinitionError(f"source '{source}': transform '{transform}': module "
                              f"'{module_name}' ({getattr(module, '__file__', '?')}) has no "
                              f"function '{function}'")
    return fn


def pending(native: Any, source: str, transform: str,
            input_source: str) -> Iterator[Tuple[int, List[str]]]:
    """(input ingest id, part files holding its rows) per input ingest not transformed yet,
    oldest first."""
    done = set(native.ingest_inputs(source))
    files = native.source_files(input_source)
    for ingest_id in sorted({i for _, ids in files for i in ids}):
        if label(transform, input_source, ingest_id) not in done:
            yield ingest_id, [path for path, ids in files if ingest_id in ids]


def input_rows(paths: List[str], ingest_id: int) -> pa.Table:
    """The rows input ingest `ingest_id` published, in its input order, without the
    engine's sequence column."""
    tables = []
    for path in paths:
        table = pq.read_table(path)
        mine = pc.equal(pc.shift_right(table[_SEQ], 32), pa.scalar(ingest_id, pa.int64()))
        tables.append(table.filter(mine))
    rows = pa.concat_tables(tables).sort_by(_SEQ)
    return rows.drop_columns([_SEQ])
