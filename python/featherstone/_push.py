"""Pushed rows as the engine's push path reads them: one JSON object per row (the lines of
``featherstone push``, the rows of POST /push's ``df``). ``FeatureStore.push`` and
``Client.push`` both convert here, so the same table gives the same events either way."""

from __future__ import annotations

import datetime as _dt
import decimal
import json
import math
from typing import Any, Dict, List, Tuple

import pyarrow as pa

from . import _arrow
from . import _featherstone as _native
from ._errors import ValidationError

TARGETS = ("offline", "online", "online_and_offline")


def check_target(to: str) -> None:
    """Raises ValidationError (POST /push's text) unless `to` is a push target."""
    if to not in TARGETS:
        raise ValidationError(f"'to' is {to}; expected \"offline\", \"online\" or "
                              "\"online_and_offline\"")


def columns(data: Any, what: str) -> Tuple[Dict[str, List[Any]], int]:
    """`data` (a pyarrow Table or RecordBatch, a pandas DataFrame, a dict of lists, any Arrow
    stream) as {column: [JSON value per row]} and the row count. Timestamps become ISO-8601
    UTC text (naive = UTC) to the microsecond, dates YYYY-MM-DD, non-finite floats null;
    the engine then reads every value as the source declares it."""
    if isinstance(data, dict) and all(isinstance(v, (list, tuple)) for v in data.values()):
        # As POST /push's `df`: values of any JSON type, read by the engine per event.
        out = {str(name): [_value(v, str(name), row, what) for row, v in enumerate(values, 1)]
               for name, values in data.items()}
        lengths = {name: len(values) for name, values in out.items()}
        first = next(iter(lengths), None)
        for name, length in lengths.items():
            if length != lengths[first]:
                raise ValidationError(f"{what}: column '{name}' has {length} values but column "
                                      f"'{first}' has {lengths[first]}; columns need one value "
                                      "per row")
        return out, lengths[first] if first is not None else 0
    table = _arrow.to_table(data, what)
    out = {}
    for name, column in zip(table.column_names, table.columns):
        out[name] = _values(column, name, what)
    return out, table.num_rows


def json_lines(cols: Dict[str, List[Any]], rows: int) -> str:
    """One JSON object per row, as ``featherstone push`` reads them."""
    names = list(cols)
    lists = [cols[n] for n in names]
    encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False,
                              separators=(",", ":")).encode
    return "".join(encode(dict(zip(names, [c[r] for c in lists]))) + "\n"
                   for r in range(rows))


def _values(column: Any, name: str, what: str) -> List[Any]:
    kind = column.type
    if pa.types.is_dictionary(kind):
        column = column.cast(kind.value_type)
        kind = column.type
    if pa.types.is_timestamp(kind):
        micros = column.cast(pa.timestamp("us", tz=kind.tz), safe=False).cast(pa.int64())
        return [None if v is None else _native.format_timestamp(v) for v in micros.to_pylist()]
    if pa.types.is_floating(kind):
        return [None if v is None or not math.isfinite(v) else v for v in column.to_pylist()]
    if (pa.types.is_integer(kind) or pa.types.is_boolean(kind) or pa.types.is_string(kind)
            or pa.types.is_large_string(kind)):
        return column.to_pylist()
    return [_value(v, name, row, what) for row, v in enumerate(column.to_pylist(), 1)]


def _value(v: Any, name: str, row: int, what: str) -> Any:
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, _dt.datetime):
        if v.tzinfo is not None and v.tzinfo.utcoffset(v) is not None:
            v = v.astimezone(_dt.timezone.utc).replace(tzinfo=None)
        return v.isoformat() + "Z"
    if isinstance(v, _dt.date):
        return v.isoformat()
    if isinstance(v, decimal.Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    if isinstance(v, (bytes, bytearray)):
        try:
            return bytes(v).decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError(f"{what}: row {row}, column '{name}': bytes that are not "
                                  "UTF-8 text cannot be pushed (JSON carries text)") from None
    if isinstance(v, (list, tuple)):
        return [_value(item, name, row, what) for item in v]
    if isinstance(v, dict):
        return {str(k): _value(item, name, row, what) for k, item in v.items()}
    return str(v)
