"""Training sets computed by Spark (docs/scaling.md, "Spark for backfills and training sets").

The driver reads the entity rows as the local engine does, tags each with its row number and
builds Spark DataFrames of them and of the published Parquet parts of every source the
features read. Both sides get one partition column, a hash of the join keys the views share
(the same Spark expression over the same types on both sides), are unioned, repartitioned by
it and sorted within partitions; ``mapInArrow`` then hands each partition's entity rows and
source rows to the C++ kernel the local engine runs (``retrieval::GetHistoricalFeaturesFromRows``),
so every key's rows -- its latest rows for point-in-time lookups and its raw events for window
aggregations -- meet in one call. The result is collected, put back in input order and cast
to the local engine's schema: the same table, row for row.

``python -m featherstone.spark_engine`` is what ``featherstone historical --engine spark``
runs (with arguments it has checked); it writes the output file as the local engine does.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import pyarrow as pa

from . import _arrow
from . import _featherstone as _native
from ._errors import FeatherstoneError, ValidationError

DEFAULT_MASTER = "local[2]"
_ROW = "__fst_row"  # the entity row's place in the input
_PART = "__fst_part"  # hash of the shared join keys, which repartition(n, _PART) spreads
_SIDE = "__fst_side"  # 0: entity row; i + 1: a row of source i


@dataclass
class SparkRun:
    """One Spark retrieval: the training set and what each partition's kernel call took."""

    table: pa.Table
    partitions: int
    # (entity rows, source rows, seconds) of each kernel call, one per non-empty partition.
    kernel_calls: List[Tuple[int, int, float]] = field(default_factory=list)


def missing_requirement() -> Optional[str]:
    """What the Spark engine lacks here (pyspark, java), or None."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return (f"the Spark engine needs pyspark in {sys.executable}: "
                f"{sys.executable} -m pip install pyspark")
    java_home = os.environ.get("JAVA_HOME")
    if not (java_home and os.path.exists(os.path.join(java_home, "bin", "java"))) and \
            shutil.which("java") is None:
        return "the Spark engine needs Java 17 or later: install a JDK/JRE or set JAVA_HOME"
    return None


def session(master: str = DEFAULT_MASTER, conf: Optional[Dict[str, str]] = None) -> Any:
    """The Spark session retrievals run on: the active one, else a new one on `master` with
    the settings `conf` (e.g. spark.driver.memory). Its Python workers run this interpreter
    (they import the SDK); timestamps are UTC."""
    problem = missing_requirement()
    if problem is not None:
        raise ValidationError(problem)
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    builder = SparkSession.builder.master(master).appName("featherstone historical")
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    return (builder.config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.execution.arrow.useLargeVarTypes", "false")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .getOrCreate())


# Per Python worker: the repositories opened and the feature lists resolved so far.
_STORES: Dict[str, Any] = {}
_REFS: Dict[Tuple[str, str, str], Any] = {}


def _worker_refs(repo: str, features: str, service: str) -> Tuple[Any, Any]:
    store = _STORES.get(repo)
    if store is None:
        store = _STORES[repo] = _native.Store(repo)
    refs = _REFS.get((repo, features, service))
    if refs is None:
        refs = _REFS[(repo, features, service)] = store.resolve(features, service)
    return store, refs


def _shared_keys(sources: Sequence[Tuple[str, List[List[str]], List[str]]]) -> List[str]:
    """The join keys every view read has (the first view's order): rows partitioned by them
    keep each view's keys together."""
    views = [keys for _, per_view, _ in sources for keys in per_view]
    shared = [k for k in views[0] if all(k in keys for keys in views[1:])]
    if not shared:
        named = "; ".join(f"{name}: {', '.join(k)}" for name, per_view, _ in sources
                          for k in per_view)
        raise ValidationError("the Spark engine partitions by the join keys all views read "
                              f"share, and these views share none ({named})")
    return shared


def historical(repo: str, entity_df: Any, *, features: str = "", service: str = "",
               timestamp_column: str = "event_timestamp", full_feature_names: bool = False,
               master: str = DEFAULT_MASTER, partitions: Optional[int] = None) -> SparkRun:
    """The training set of ``FeatureStore.get_historical_features`` computed by Spark.
    `features` is a comma-separated "view:feature" list, or `service` names a feature
    service (exactly one); `entity_df` is what get_historical_features accepts. `partitions`
    defaults to twice Spark's default parallelism."""
    store = _native.Store(os.fspath(repo))
    try:
        refs = store.resolve(features, service)
        if isinstance(entity_df, (str, os.PathLike)):
            stream = store.normalized_entities(refs, None, os.fspath(entity_df), timestamp_column)
        else:
            table = _arrow.to_table(entity_df, "entity rows")
            stream = store.normalized_entities(refs, table.__arrow_c_stream__(), "",
                                               timestamp_column)
        entities = _arrow.import_stream(stream)
        entities = entities.append_column(_ROW, pa.array(range(entities.num_rows), pa.int64()))
        # The output's schema: the kernel over no rows.
        empty = _arrow.import_stream(store.historical_from_rows(
            refs, entities.slice(0, 0).__arrow_c_stream__(), {}, timestamp_column,
            full_feature_names))
        sources = store.historical_sources(refs)
        repo_dir = store.dir
    finally:
        store.close()
    out_schema = empty.drop_columns([_ROW]).schema
    if entities.num_rows == 0:
        return SparkRun(empty.drop_columns([_ROW]), 0)
    spark = session(master)
    n = partitions or 2 * spark.sparkContext.defaultParallelism
    joined, calls = _joined(spark, repo_dir, entities, sources, empty.schema, features, service,
                            timestamp_column, full_feature_names, n)
    table = joined.toArrow()
    table = table.take(table.column(_ROW).to_numpy().argsort(kind="stable"))
    return SparkRun(table.drop_columns([_ROW]).cast(out_schema), n, list(calls.value))


def _joined(spark: Any, repo: str, entities: pa.Table,
            sources: Sequence[Tuple[str, List[List[str]], List[str]]], schema: pa.Schema,
            features: str, service: str, timestamp_column: str, full_feature_names: bool,
            n: int) -> Tuple[Any, Any]:
    from pyspark import AccumulatorParam
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema, to_arrow_schema

    class _Calls(AccumulatorParam):
        def zero(self, value: list) -> list:
            return []

        def addInPlace(self, a: list, b: list) -> list:
            return a + b

    calls = spark.sparkContext.accumulator([], _Calls())
    keys = _shared_keys(sources)
    entity_df = spark.createDataFrame(entities).toDF(*[f"e__{c}" for c in entities.column_names])
    key_types = {k: entity_df.schema[f"e__{k}"].dataType for k in keys}
    sides = [entity_df.select("*", F.lit(0).alias(_SIDE),
                              F.hash(*[F.col(f"e__{k}") for k in keys]).alias(_PART))]
    names = []
    for i, (name, _, paths) in enumerate(sources):
        names.append(name)
        if not paths:
            continue
        rows = spark.read.option("mergeSchema", "true").parquet(*paths)
        rows = rows.toDF(*[f"s{i}__{c}" for c in rows.columns])
        sides.append(rows.select("*", F.lit(i + 1).alias(_SIDE), F.hash(
            *[F.col(f"s{i}__{k}").cast(key_types[k]) for k in keys]).alias(_PART)))
    both = sides[0]
    for side in sides[1:]:
        both = both.unionByName(side, allowMissingColumns=True)
    both = both.repartition(n, _PART).sortWithinPartitions(_PART, _SIDE)

    out_spark = from_arrow_schema(schema, prefer_timestamp_ntz=False)
    out_arrow = to_arrow_schema(out_spark, timezone="UTC", prefers_large_types=False)

    def kernel(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        received = list(batches)
        if not received:
            return
        rows = pa.Table.from_batches(received)
        side = rows.column(_SIDE)
        entity_rows = _side_rows(rows, side, 0, "e__")
        if entity_rows.num_rows == 0:
            return
        tables = {name: _side_rows(rows, side, i + 1, f"s{i}__")
                  for i, name in enumerate(names)}
        store, refs = _worker_refs(repo, features, service)
        start = time.perf_counter()
        out = _arrow.import_stream(store.historical_from_rows(
            refs, entity_rows.__arrow_c_stream__(),
            {name: t.__arrow_c_stream__() for name, t in tables.items() if t.num_rows},
            timestamp_column, full_feature_names))
        calls.add([(entity_rows.num_rows, sum(t.num_rows for t in tables.values()),
                    time.perf_counter() - start)])
        yield from out.cast(out_arrow).to_batches()

    return both.mapInArrow(kernel, out_spark), calls


def _side_rows(rows: pa.Table, side: pa.ChunkedArray, tag: int, prefix: str) -> pa.Table:
    import pyarrow.compute as pc

    picked = rows.filter(pc.equal(side, tag))
    columns = [c for c in picked.column_names if c.startswith(prefix)]
    return picked.select(columns).rename_columns([c[len(prefix):] for c in columns])


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``featherstone historical --engine spark`` runs this with arguments it has checked."""
    parser = argparse.ArgumentParser(prog="python -m featherstone.spark_engine")
    parser.add_argument("--repo", required=True)
    parser.add_argument("--entities", required=True)
    parser.add_argument("--features", default="")
    parser.add_argument("--service", default="")
    parser.add_argument("--timestamp-column", default="event_timestamp")
    parser.add_argument("--full-feature-names", action="store_true")
    parser.add_argument("--master", default=DEFAULT_MASTER)
    parser.add_argument("--partitions", type=int, default=None)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    problem = missing_requirement()
    if problem is not None:
        print(problem, file=sys.stderr)
        return 1
    spark = session(args.master)
    try:
        run = historical(args.repo, args.entities, features=args.features, service=args.service,
                         timestamp_column=args.timestamp_column,
                         full_feature_names=args.full_feature_names, master=args.master,
                         partitions=args.partitions)
        _native.write_table_file(run.table.__arrow_c_stream__(), args.out)
    except FeatherstoneError as e:
        print(e, file=sys.stderr)
        return 1
    finally:
        spark.stop()
    print(f"wrote {run.table.num_rows} rows to {args.out}")
    return 0


if __name__ == "__main__":
    # Through the module's own name, so the functions Spark ships to its workers are
    # pickled by reference (and the workers' caches above live across tasks).
    from featherstone.spark_engine import main as _main

    sys.exit(_main())
