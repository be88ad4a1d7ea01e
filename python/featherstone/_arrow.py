"""Tables in and out: pandas / pyarrow / any Arrow PyCapsule producer -> pyarrow.Table, with
timestamps as the engine stores them (timestamp[us, UTC]; naive values are UTC)."""

from __future__ import annotations

from typing import Any, Iterable, Optional, Sequence, Tuple

import pyarrow as pa
import pyarrow.compute as pc

from ._errors import ValidationError

UTC_US = pa.timestamp("us", tz="UTC")

_ARROW_TYPES = {
    "bool": pa.bool_(), "int32": pa.int32(), "int64": pa.int64(), "float32": pa.float32(),
    "float64": pa.float64(), "string": pa.string(), "bytes": pa.binary(), "timestamp": UTC_US,
    "date": pa.date32(), "list<float32>": pa.list_(pa.float32()),
    "list<string>": pa.list_(pa.string()),
}


def arrow_type(type_name: str) -> Optional[pa.DataType]:
    """The Arrow type the engine uses for a declared type name."""
    return _ARROW_TYPES.get(type_name)


def is_pandas(data: Any) -> bool:
    return type(data).__module__.startswith("pandas") and hasattr(data, "columns")


def to_table(data: Any, what: str) -> pa.Table:
    """A pyarrow.Table from a pyarrow Table/RecordBatch/RecordBatchReader, a pandas
    DataFrame, a dict of columns, or any object with ``__arrow_c_stream__`` (polars, DuckDB)."""
    if isinstance(data, pa.Table):
        table = data
    elif isinstance(data, pa.RecordBatch):
        table = pa.Table.from_batches([data])
    elif isinstance(data, pa.RecordBatchReader):
        table = data.read_all()
    elif is_pandas(data):
        try:
            table = pa.Table.from_pandas(data)
        except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError, TypeError) as e:
            # Mixed values in an object column: hand them over as text, so that the engine
            # names the row, column and value that do not fit the schema.
            try:
                table = pa.Table.from_pandas(_objects_as_text(data))
            except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError, TypeError):
                raise ValidationError(
                    f"{what}: cannot convert the DataFrame to Arrow: {e}") from None
    elif hasattr(data, "__arrow_c_stream__"):
        table = pa.table(data)
    elif isinstance(data, dict):
        try:
            table = pa.table(data)
        except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError, TypeError) as e:
            raise ValidationError(f"{what}: cannot convert the dict to Arrow: {e}") from None
    else:
        raise TypeError(f"{what}: expected a pandas DataFrame, a pyarrow Table, a file path or "
                        f"an Arrow stream, got {type(data).__name__}")
    return table.replace_schema_metadata(None)


def _objects_as_text(df: Any) -> Any:
    df = df.copy()
    for name in df.columns:
        if df[name].dtype == object:
            df[name] = df[name].map(
                lambda v: None if v is None or (isinstance(v, float) and v != v) else str(v))
    return df


def _epoch_to_us(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Integer epochs in s, ms or µs (by magnitude, like the CLI) -> timestamp[us, UTC]."""
    v = pc.cast(column, pa.int64())
    mag = pc.abs(v)
    us = pc.if_else(pc.less(mag, 100_000_000_000), pc.multiply(v, 1_000_000),
                    pc.if_else(pc.less(mag, 100_000_000_000_000), pc.multiply(v, 1_000), v))
    return pc.cast(us, UTC_US)


def to_utc_us(column: pa.ChunkedArray, name: str, what: str) -> pa.ChunkedArray:
    """`column` as timestamp[us, UTC]: timestamps of any unit (naive = UTC, aware converted),
    dates (midnight UTC), ISO-8601 strings, integer epochs."""
    t = column.type
    try:
        if pa.types.is_timestamp(t):
            if t.unit == "us" and t.tz == "UTC":
                return column
            # A naive value is UTC wall time, an aware one is stored as UTC: either way the
            # value is kept and only the unit (truncated below µs) and zone label change.
            return pc.cast(column, UTC_US, safe=False)
        if pa.types.is_date(t):
            return pc.cast(pc.cast(column, pa.timestamp("us")), UTC_US)
        if pa.types.is_integer(t):
            return _epoch_to_us(column)
        if pa.types.is_string(t) or pa.types.is_large_string(t):
            try:
                return pc.cast(column, UTC_US)  # strings with a zone offset
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                return pc.cast(pc.cast(column, pa.timestamp("us")), UTC_US)  # naive = UTC
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
        raise ValidationError(f"{what}: column '{name}': cannot read as timestamps: {e}") from None
    raise ValidationError(f"{what}: column '{name}' must hold timestamps (or dates, ISO-8601 "
                          f"strings, epochs), got {t}")


def normalize_timestamps(table: pa.Table, what: str,
                         only: Optional[Iterable[str]] = None) -> pa.Table:
    """Every timestamp column (or the columns named in `only`) as timestamp[us, UTC]."""
    names = set(only) if only is not None else None
    for i, field in enumerate(table.schema):
        if names is None and not pa.types.is_timestamp(field.type):
            continue
        if names is not None and field.name not in names:
            continue
        column = to_utc_us(table.column(i), field.name, what)
        if column is not table.column(i):
            table = table.set_column(i, pa.field(field.name, column.type, field.nullable), column)
    return table


def required(table: pa.Table, name: str) -> pa.Table:
    """Marks column `name` non-nullable when it holds no null (nulls are the engine's error)."""
    i = table.schema.get_field_index(name)
    field = table.schema.field(i)
    if not field.nullable or table.column(i).null_count:
        return table
    return table.set_column(i, field.with_nullable(False), table.column(i))


def cast_keys(table: pa.Table, join_keys: Sequence[Tuple[str, str]], what: str) -> pa.Table:
    """Join key columns as the types their sources declare (as the CLI reads entity files)."""
    for key, type_name in join_keys:
        target = arrow_type(type_name)
        i = table.schema.get_field_index(key)
        if target is None or i < 0 or table.schema.field(i).type == target:
            continue
        try:
            column = pc.cast(table.column(i), target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
            raise ValidationError(f"{what}: join key '{key}' must be {type_name}: {e}") from None
        table = table.set_column(i, pa.field(key, target), column)
    return table


def write_file(table: pa.Table, path: str, fmt: str) -> None:
    """Writes `table` as parquet, csv or jsonl (timestamps as ISO-8601 UTC)."""
    if fmt == "csv":
        import pyarrow.csv as pacsv

        pacsv.write_csv(table, path)
    elif fmt == "jsonl":
        import datetime as dt
        import json

        def default(value: Any) -> Any:
            if isinstance(value, dt.datetime):
                return value.isoformat()
            if isinstance(value, dt.date):
                return value.isoformat()
            if isinstance(value, bytes):
                return value.decode("utf-8", "replace")
            raise TypeError(f"cannot write {type(value).__name__} to JSON")

        with open(path, "w", encoding="utf-8") as f:
            for row in table.to_pylist():
                f.write(json.dumps(row, default=default, ensure_ascii=False))
                f.write("\n")
    else:
        import pyarrow.parquet as pq

        pq.write_table(table, path)


def import_stream(capsule: Any) -> pa.Table:
    """The table a C stream capsule from the engine carries (zero-copy)."""
    return pa.RecordBatchReader._import_from_c_capsule(capsule).read_all()
