"""Tables in and out: pandas / pyarrow / any Arrow PyCapsule producer -> pyarrow.Table; the
engine types and checks the columns (timestamps, keys) as it reads files."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from ._errors import ValidationError

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


def import_stream(capsule: Any) -> pa.Table:
    """The table a C stream capsule from the engine carries (zero-copy)."""
    return pa.RecordBatchReader._import_from_c_capsule(capsule).read_all()
