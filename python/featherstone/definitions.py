"""Definitions made in Python: entities, sources, feature views, feature services, and the
declarations a feature view's function returns (column references, aggregations,
expressions).

They are plain data. ``FeatureStore`` turns them into the canonical YAML of DESIGN section 2
and hands that text to the engine, which parses and validates it with the same code that
reads ``featherstone.yaml``: a definition made in Python and its YAML twin are the same
registry object, with the same spec hash.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import math
import os
import sys
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from ._errors import DefinitionError, NotFoundError
from ._time import DurationLike, duration_text

__all__ = [
    "Origin", "Column", "Entity", "FileSource", "Feature", "FeatureView", "FeatureService",
    "Expr", "ColumnRef", "Aggregation", "Columns",
    "col", "expr", "days_since",
    "count", "sum", "avg", "min", "max", "stddev", "last", "first", "count_distinct",
    "TYPE_NAMES",
]

_PKG_DIR = os.path.dirname(os.path.abspath(__file__))

#: The column types of DESIGN section 2.
TYPE_NAMES = ("bool", "int32", "int64", "float32", "float64", "string", "bytes", "timestamp",
              "date", "list<float32>", "list<string>")


@dataclasses.dataclass(frozen=True)
class Origin:
    """Where in the user's Python code a definition was made."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


def _caller() -> Optional[Origin]:
    """The first frame outside this package: the user's line."""
    frame = sys._getframe(1)
    while frame is not None and os.path.dirname(
            os.path.abspath(frame.f_code.co_filename)) == _PKG_DIR:
        frame = frame.f_back
    return None if frame is None else Origin(frame.f_code.co_filename, frame.f_lineno)


def _fail(message: str, origin: Optional[Origin]) -> DefinitionError:
    return DefinitionError(f"{origin}: {message}" if origin else message)


def _name(value: Any, what: str, origin: Optional[Origin]) -> str:
    if not isinstance(value, str):
        raise _fail(f"{what} must be a string, got {type(value).__name__}", origin)
    return value


# ---------------------------------------------------------------------------------------------
# Types and schemas


def _type_name(value: Any, where: str, origin: Optional[Origin]) -> str:
    """The YAML type name of a type given as text, a Python type or a pyarrow type. Unknown
    text is passed on for the engine to reject with its message."""
    if isinstance(value, str):
        return value
    python_types = {bool: "bool", int: "int64", float: "float64", str: "string",
                    bytes: "bytes", _dt.datetime: "timestamp", _dt.date: "date"}
    if isinstance(value, type) and value in python_types:
        return python_types[value]
    try:
        import pyarrow as pa
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        pa = None
    if pa is not None and isinstance(value, pa.DataType):
        t = pa.types
        if t.is_boolean(value):
            return "bool"
        if t.is_int32(value):
            return "int32"
        if t.is_int64(value):
            return "int64"
        if t.is_float32(value):
            return "float32"
        if t.is_float64(value):
            return "float64"
        if t.is_string(value) or t.is_large_string(value):
            return "string"
        if t.is_binary(value) or t.is_large_binary(value):
            return "bytes"
        if t.is_timestamp(value):
            return "timestamp"
        if t.is_date(value):
            return "date"
        if t.is_list(value) or t.is_large_list(value) or t.is_fixed_size_list(value):
            item = value.value_type
            if t.is_float32(item):
                return "list<float32>"
            if t.is_string(item) or t.is_large_string(item):
                return "list<string>"
        raise _fail(f"{where}: pyarrow type {value} has no Featherstone equivalent "
                    f"(types: {', '.join(TYPE_NAMES)})", origin)
    raise _fail(f"{where}: expected a type name ({', '.join(TYPE_NAMES)}), a Python type or a "
                f"pyarrow type, got {value!r}", origin)


def _dim(value: Any) -> int:
    """The dimension a pyarrow fixed_size_list type declares (pa.list_(pa.float32(), 384)); 0
    for any other type (a list<float32> column given otherwise takes Column(..., dim=N))."""
    try:
        import pyarrow as pa
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        return 0
    return value.list_size if isinstance(value, pa.FixedSizeListType) else 0


@dataclasses.dataclass(frozen=True)
class Column:
    """One declared column of a source's schema."""

    name: str
    type: str
    nullable: bool = True
    path: str = ""  # dotted JSON path for nested input; empty = name
    dim: int = 0  # list<float32>: the number of values in every vector (required there)


SchemaLike = Union[Mapping[str, Any], Sequence[Any], Any]


def _schema(schema: SchemaLike, source: str, origin: Optional[Origin],
            where: Optional[str] = None) -> List[Column]:
    where = where or f"schema of source '{source}'"
    columns: List[Column] = []

    def one(name: Any, spec: Any) -> Column:
        name = _name(name, f"{where}: a column name", origin)
        if isinstance(spec, Column):
            return dataclasses.replace(spec, name=name)
        if isinstance(spec, tuple):
            if len(spec) != 2 or not isinstance(spec[1], bool):
                raise _fail(f"{where}: column '{name}': expected type or (type, nullable), "
                            f"got {spec!r}", origin)
            return Column(name, _type_name(spec[0], f"{where}: column '{name}'", origin), spec[1],
                          dim=_dim(spec[0]))
        return Column(name, _type_name(spec, f"{where}: column '{name}'", origin), dim=_dim(spec))

    if isinstance(schema, Mapping):
        for name, spec in schema.items():
            columns.append(one(name, spec))
        return columns
    try:
        import pyarrow as pa
        if isinstance(schema, pa.Schema):
            return [Column(f.name, _type_name(f.type, f"{where}: column '{f.name}'", origin),
                           f.nullable, dim=_dim(f.type)) for f in schema]
    except ImportError:  # pragma: no cover
        pa = None
    if isinstance(schema, (str, bytes)) or not isinstance(schema, Iterable):
        raise _fail(f"{where}: expected a dict of column -> type, a list of columns or a "
                    f"pyarrow.Schema, got {type(schema).__name__}", origin)
    for item in schema:
        if isinstance(item, Column):
            columns.append(item)
        elif pa is not None and isinstance(item, pa.Field):
            columns.append(Column(item.name, _type_name(item.type, f"{where}: column "
                                                        f"'{item.name}'", origin), item.nullable,
                                  dim=_dim(item.type)))
        elif isinstance(item, tuple) and len(item) in (2, 3):
            column = one(item[0], item[1])
            columns.append(column if len(item) == 2 else dataclasses.replace(
                column, nullable=bool(item[2])))
        else:
            raise _fail(f"{where}: expected Column, (name, type[, nullable]) or pyarrow.Field, "
                        f"got {item!r}", origin)
    return columns


# ---------------------------------------------------------------------------------------------
# Entities and sources


def _catalog(owner: Optional[str], tags: Optional[Sequence[str]],
             labels: Optional[Mapping[str, str]], what: str, origin: "Origin"
             ) -> Tuple[str, List[str], Dict[str, str]]:
    """Checked catalog metadata (owner, tags, labels) of an object, as the YAML keys take it."""
    if owner is not None and not isinstance(owner, str):
        raise _fail(f"{what}: owner must be a string, got {type(owner).__name__}", origin)
    if isinstance(tags, str) or not all(isinstance(t, str) for t in (tags or [])):
        raise _fail(f"{what}: tags must be a list of strings, got {tags!r}", origin)
    if labels is not None and (not isinstance(labels, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in labels.items())):
        raise _fail(f"{what}: labels must be a dict of strings, got {labels!r}", origin)
    return owner or "", list(tags or []), dict(labels or {})


class Entity:
    """A thing features describe (a customer, a product), identified by its join keys.

    >>> customer = Entity("customer", join_keys=["customer_id"], description="A buying customer")

    Key types come from the sources' schemas.
    """

    def __init__(self, name: str, join_keys: Union[str, Sequence[str]],
                 description: str = "", *, owner: Optional[str] = None,
                 tags: Optional[Sequence[str]] = None,
                 labels: Optional[Mapping[str, str]] = None) -> None:
        self.origin = _caller()
        self.name = _name(name, "Entity name", self.origin)
        keys = [join_keys] if isinstance(join_keys, str) else list(join_keys)
        self.join_keys: List[str] = [_name(k, "a join key", self.origin) for k in keys]
        self.description = description or ""
        self.owner, self.tags, self.labels = _catalog(owner, tags, labels,
                                                      f"entity '{self.name}'", self.origin)

    def _key(self) -> tuple:
        return (self.name, tuple(self.join_keys), self.description, self.owner,
                tuple(self.tags), tuple(sorted(self.labels.items())))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Entity) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"Entity({self.name!r}, join_keys={self.join_keys!r})"


class FileSource:
    """Files (CSV, Parquet, JSONL) ingested with ``FeatureStore.ingest``.

    ``schema`` maps column names to types: ``{"customer_id": "int64", "amount": ("float64",
    True), "event_ts": "timestamp"}`` where a type is a name (bool, int32, int64, float32,
    float64, string, bytes, timestamp, date, list<float32>, list<string>), a Python type
    (int, float, str, bool, bytes, datetime, date) or a pyarrow type, and a tuple adds
    nullability (columns are nullable by default). A list of ``Column`` or a
    ``pyarrow.Schema`` works too. ``format`` is csv, parquet or jsonl; None picks it from each
    file's extension. ``contract``: the data contract checked at every ingest, in the shape
    of the YAML ``contract:`` (DESIGN section 5), e.g. ``{"policy": "quarantine",
    "expectations": [{"expect": "not_null", "column": "amount"}]}``.
    """

    kind = "file"

    def __init__(self, name: str, schema: SchemaLike, timestamp_field: str,
                 created_timestamp_field: Optional[str] = None, format: Optional[str] = None,
                 description: str = "", contract: Optional[Mapping[str, Any]] = None, *,
                 owner: Optional[str] = None, tags: Optional[Sequence[str]] = None,
                 labels: Optional[Mapping[str, str]] = None) -> None:
        self.origin = _caller()
        self.name = _name(name, "FileSource name", self.origin)
        self.owner, self.tags, self.labels = _catalog(owner, tags, labels,
                                                      f"source '{self.name}'", self.origin)
        if contract is not None and not isinstance(contract, Mapping):
            raise _fail(f"source '{self.name}': contract must be a dict like the YAML "
                        f"'contract:', got {type(contract).__name__}", self.origin)
        self.contract: Optional[Dict[str, Any]] = None if contract is None else dict(contract)
        self.schema: List[Column] = _schema(schema, self.name, self.origin)
        self.timestamp_field = _name(timestamp_field, "timestamp_field", self.origin)
        self.created_timestamp_field = created_timestamp_field or ""
        self.format = format or ""
        self.description = description or ""

    @property
    def columns(self) -> List[str]:
        return [c.name for c in self.schema]

    def _key(self) -> tuple:
        return (self.kind, self.name, tuple(self.schema), self.timestamp_field,
                self.created_timestamp_field, self.format, self.description,
                repr(self.contract), self.owner, tuple(self.tags),
                tuple(sorted(self.labels.items())))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FileSource) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (f"FileSource({self.name!r}, columns={self.columns!r}, "
                f"timestamp_field={self.timestamp_field!r})")


# ---------------------------------------------------------------------------------------------
# Declarations: what a feature view's function returns

_OR, _AND, _NOT, _CMP, _ADD, _MUL, _NEG, _ATOM = range(1, 9)


def _literal(value: Any, origin: Optional[Origin]) -> "Expr":
    if isinstance(value, Expr):
        return value
    if isinstance(value, bool):
        return Expr("true" if value else "false")
    if isinstance(value, int):
        return Expr(str(value), _ATOM if value >= 0 else _NEG)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _fail(f"expression literal {value!r} is not finite", origin)
        return Expr(repr(value), _ATOM if value >= 0 else _NEG)
    if isinstance(value, str):
        escaped = (value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
                   .replace("\t", "\\t"))
        return Expr(f'"{escaped}"')
    if value is None:
        return Expr("null")
    raise _fail(f"cannot use {type(value).__name__} {value!r} in an expression", origin)


class Expr:
    """An expression over source columns and other features of the same view, evaluated by
    the engine (DESIGN section 2: ``+ - * / %``, comparisons, ``and or not``, ``if``,
    ``coalesce``, ``log exp sqrt abs pow min max clamp``, ``is_null``, ``days_since``).

    Build one from text with ``expr("amount * 100")`` or with operators on column
    references: ``o.amount * 100``, ``(o.amount > 10) & ~o.refunded``. Python strings in
    operators are string literals; ``&``, ``|`` and ``~`` are ``and``, ``or`` and ``not``.
    """

    __slots__ = ("text", "_prec", "description", "origin")

    def __init__(self, text: str, _prec: int = _ATOM, description: str = "",
                 origin: Optional[Origin] = None) -> None:
        self.text = text
        self._prec = _prec
        self.description = description
        self.origin = origin

    def describe(self, description: str) -> "Expr":
        """A copy with a description (shown by ``describe`` and in the registry)."""
        return type(self)._copy(self, description)

    def _copy(self, description: str) -> "Expr":
        return Expr(self.text, self._prec, description, self.origin)

    def _wrap(self, min_prec: int) -> str:
        return self.text if self._prec >= min_prec else f"({self.text})"

    def _binary(self, op: str, other: Any, prec: int, reverse: bool = False,
                assoc: bool = True) -> "Expr":
        origin = _caller()
        other = _literal(other, origin)
        left, right = (other, self) if reverse else (self, other)
        left_min = prec if assoc else prec + 1
        return Expr(f"{left._wrap(left_min)} {op} {right._wrap(prec + 1)}", prec, "", origin)

    def __add__(self, o: Any) -> "Expr": return self._binary("+", o, _ADD)
    def __radd__(self, o: Any) -> "Expr": return self._binary("+", o, _ADD, True)
    def __sub__(self, o: Any) -> "Expr": return self._binary("-", o, _ADD)
    def __rsub__(self, o: Any) -> "Expr": return self._binary("-", o, _ADD, True)
    def __mul__(self, o: Any) -> "Expr": return self._binary("*", o, _MUL)
    def __rmul__(self, o: Any) -> "Expr": return self._binary("*", o, _MUL, True)
    def __truediv__(self, o: Any) -> "Expr": return self._binary("/", o, _MUL)
    def __rtruediv__(self, o: Any) -> "Expr": return self._binary("/", o, _MUL, True)
    def __mod__(self, o: Any) -> "Expr": return self._binary("%", o, _MUL)
    def __rmod__(self, o: Any) -> "Expr": return self._binary("%", o, _MUL, True)
    def __lt__(self, o: Any) -> "Expr": return self._binary("<", o, _CMP, assoc=False)
    def __le__(self, o: Any) -> "Expr": return self._binary("<=", o, _CMP, assoc=False)
    def __gt__(self, o: Any) -> "Expr": return self._binary(">", o, _CMP, assoc=False)
    def __ge__(self, o: Any) -> "Expr": return self._binary(">=", o, _CMP, assoc=False)
    def __eq__(self, o: Any) -> "Expr": return self._binary("==", o, _CMP, assoc=False)  # type: ignore[override]
    def __ne__(self, o: Any) -> "Expr": return self._binary("!=", o, _CMP, assoc=False)  # type: ignore[override]
    def __and__(self, o: Any) -> "Expr": return self._binary("and", o, _AND)
    def __rand__(self, o: Any) -> "Expr": return self._binary("and", o, _AND, True)
    def __or__(self, o: Any) -> "Expr": return self._binary("or", o, _OR)
    def __ror__(self, o: Any) -> "Expr": return self._binary("or", o, _OR, True)

    def __neg__(self) -> "Expr":
        return Expr(f"-{self._wrap(_NEG)}", _NEG, "", _caller())

    def __invert__(self) -> "Expr":
        return Expr(f"not {self._wrap(_NOT)}", _NOT, "", _caller())

    __hash__ = object.__hash__

    def __bool__(self) -> bool:
        raise TypeError("an expression has no truth value; combine expressions with & | ~")

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"expr({self.text!r})"


class ColumnRef(Expr):
    """A source column. Returned as a feature it is a passthrough feature (the column's
    value in the latest row, governed by the view's ttl); in operators it is a name."""

    __slots__ = ("name",)

    def __init__(self, name: str, description: str = "", origin: Optional[Origin] = None) -> None:
        super().__init__(name, _ATOM, description, origin)
        self.name = name

    def _copy(self, description: str) -> "ColumnRef":
        return ColumnRef(self.name, description, self.origin)

    def __repr__(self) -> str:
        return f"col({self.name!r})"


_AGGS = ("count", "sum", "avg", "min", "max", "stddev", "last", "first", "count_distinct")


class Aggregation:
    """A windowed aggregation of a source column over ``(t - window, t]`` (DESIGN section 3).
    Made by ``count``, ``sum``, ``avg``, ``min``, ``max``, ``stddev``, ``last``, ``first``
    and ``count_distinct``."""

    __slots__ = ("agg", "column", "window", "description", "origin")

    def __init__(self, agg: str, column: str, window: str, description: str = "",
                 origin: Optional[Origin] = None) -> None:
        self.agg = agg
        self.column = column
        self.window = window
        self.description = description
        self.origin = origin

    def describe(self, description: str) -> "Aggregation":
        """A copy with a description."""
        return Aggregation(self.agg, self.column, self.window, description, self.origin)

    def __repr__(self) -> str:
        column = f"{self.column!r}, " if self.column else ""
        return f"{self.agg}({column}window={self.window!r})"


class Columns:
    """The column namespace passed to a feature view's function: ``o.amount`` (or
    ``o["amount"]``) is a reference to the source column ``amount``."""

    def __init__(self, source: Union["FileSource", str]) -> None:
        object.__setattr__(self, "_source", source)

    def __getattr__(self, name: str) -> ColumnRef:
        if name.startswith("__"):
            raise AttributeError(name)
        return ColumnRef(name, origin=_caller())

    def __getitem__(self, name: str) -> ColumnRef:
        return ColumnRef(name, origin=_caller())

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("the column namespace is read-only")

    def __dir__(self) -> List[str]:
        source = object.__getattribute__(self, "_source")
        return list(source.columns) if isinstance(source, FileSource) else []

    def __repr__(self) -> str:
        source = object.__getattribute__(self, "_source")
        name = source.name if isinstance(source, FileSource) else source
        return f"<columns of source {name!r}>"


def col(name: str, *, description: str = "") -> ColumnRef:
    """A reference to a source column, like ``o.<name>`` (for names that are not Python
    identifiers, or to give a passthrough feature a description)."""
    return ColumnRef(name, description, _caller())


def expr(text: str, *, description: str = "") -> Expr:
    """An expression from its text, e.g. ``expr("1/(1+exp(0.9*purchase_frequency_30d -
    0.5))")``: over source columns and other features of the same view, by name."""
    origin = _caller()
    return Expr(_name(text, "expr text", origin), _ATOM if text.strip().isidentifier() else 0,
                description, origin)


def days_since(x: Union[Expr, str]) -> Expr:
    """``days_since(x)``: days between the timestamp ``x`` (a column or a feature of the same
    view, by reference or by name) and the lookup time (the entity row's timestamp in
    training sets, the request time online)."""
    origin = _caller()
    if isinstance(x, str):
        text = x
    elif isinstance(x, Expr):
        text = x.text
    else:
        raise _fail(f"days_since: expected a column, feature name or expression, got {x!r}", origin)
    return Expr(f"days_since({text})", _ATOM, "", origin)


def _aggregation(agg: str, column: Any, window: DurationLike, description: str,
                 optional_column: bool = False) -> Aggregation:
    origin = _caller()
    if column is None and optional_column:
        name = ""
    elif isinstance(column, ColumnRef):
        name = column.name
    elif isinstance(column, str):
        name = column
    elif isinstance(column, Expr):
        raise _fail(f"{agg}: aggregate a source column (o.<name>), not an expression "
                    f"({column.text}); declare the expression as a feature of its own", origin)
    else:
        raise _fail(f"{agg}: expected a column (o.<name> or its name), got {column!r}", origin)
    if window is None:
        raise _fail(f"{agg}: a window is required, e.g. window=\"30d\"", origin)
    return Aggregation(agg, name, duration_text(window, f"{agg} window"), description, origin)


def count(column: Union[ColumnRef, str, None] = None, *, window: DurationLike,
          description: str = "") -> Aggregation:
    """Number of non-null values of ``column`` in the window (of events when no column);
    0 for an empty window."""
    return _aggregation("count", column, window, description, optional_column=True)


def sum(column: Union[ColumnRef, str], *, window: DurationLike,  # noqa: A001
        description: str = "") -> Aggregation:
    """Sum of the non-null values in the window; null for an empty window."""
    return _aggregation("sum", column, window, description)


def avg(column: Union[ColumnRef, str], *, window: DurationLike,
        description: str = "") -> Aggregation:
    """Mean of the non-null values in the window; null for an empty window."""
    return _aggregation("avg", column, window, description)


def min(column: Union[ColumnRef, str], *, window: DurationLike,  # noqa: A001
        description: str = "") -> Aggregation:
    """Smallest non-null value in the window."""
    return _aggregation("min", column, window, description)


def max(column: Union[ColumnRef, str], *, window: DurationLike,  # noqa: A001
        description: str = "") -> Aggregation:
    """Largest non-null value in the window."""
    return _aggregation("max", column, window, description)


def stddev(column: Union[ColumnRef, str], *, window: DurationLike,
           description: str = "") -> Aggregation:
    """Sample standard deviation (n-1) of the values in the window; null below 2 values."""
    return _aggregation("stddev", column, window, description)


def last(column: Union[ColumnRef, str], *, window: DurationLike,
         description: str = "") -> Aggregation:
    """The latest non-null value in the window (ties as in point-in-time lookups)."""
    return _aggregation("last", column, window, description)


def first(column: Union[ColumnRef, str], *, window: DurationLike,
          description: str = "") -> Aggregation:
    """The earliest non-null value in the window."""
    return _aggregation("first", column, window, description)


def count_distinct(column: Union[ColumnRef, str], *, window: DurationLike,
                   description: str = "") -> Aggregation:
    """Exact number of distinct non-null values in the window; 0 for an empty window."""
    return _aggregation("count_distinct", column, window, description)


# ---------------------------------------------------------------------------------------------
# Feature views and services


@dataclasses.dataclass
class Feature:
    """One feature of a view, as the registry stores it. ``kind`` is passthrough, expression
    or aggregation."""

    name: str
    kind: str = "passthrough"
    column: str = ""
    expr: str = ""
    agg: str = ""
    window: str = ""
    description: str = ""
    origin: Optional[Origin] = dataclasses.field(default=None, compare=False, repr=False)

    @classmethod
    def from_declaration(cls, name: str, value: Any, origin: Optional[Origin]) -> "Feature":
        if isinstance(value, ColumnRef):
            return cls(name, "passthrough", column=value.name, description=value.description,
                       origin=value.origin or origin)
        if isinstance(value, Expr):
            return cls(name, "expression", expr=value.text, description=value.description,
                       origin=value.origin or origin)
        if isinstance(value, Aggregation):
            return cls(name, "aggregation", column=value.column, agg=value.agg,
                       window=value.window, description=value.description,
                       origin=value.origin or origin)
        raise _fail(f"feature '{name}': expected a column (o.<name>), an aggregation "
                    f"(count, avg, ...) or an expression (expr(...)), got "
                    f"{type(value).__name__} {value!r}", origin)


def _entity_name(entity: Union[Entity, str], origin: Optional[Origin]) -> str:
    if isinstance(entity, Entity):
        return entity.name
    if isinstance(entity, str):
        return entity
    raise _fail(f"entities: expected Entity objects or names, got {entity!r}", origin)


class _Features:
    """What feature views and on-demand views share: named features, referenced as
    ``"view:feature"``. Subclasses set `name`, `features` and `_what` (for messages)."""

    name: str
    features: List[Feature]
    _what = "feature view"

    @property
    def feature_names(self) -> List[str]:
        return [f.name for f in self.features]

    @property
    def refs(self) -> List[str]:
        """``"view:feature"`` for every feature, in declaration order."""
        return [f"{self.name}:{f.name}" for f in self.features]

    def __getitem__(self, feature: str) -> str:
        if feature not in self.feature_names:
            raise NotFoundError(f"{self._what} '{self.name}' has no feature '{feature}' "
                                f"(features: {', '.join(self.feature_names)})")
        return f"{self.name}:{feature}"


class FeatureView(_Features):
    """A group of features of one source, keyed by entities. Made by the
    ``@FeatureStore.feature_view`` decorator (or directly, with a list of ``Feature``).

    ``view["amount"]`` is the reference ``"customer_features:amount"`` used in
    ``get_historical_features``, ``get_online_features`` and feature services.
    """

    def __init__(self, name: str, entities: Sequence[Union[Entity, str]],
                 source: Union[FileSource, str], features: Sequence[Feature],
                 ttl: DurationLike = "0", online: bool = True, description: str = "",
                 origin: Optional[Origin] = None, *, owner: Optional[str] = None,
                 tags: Optional[Sequence[str]] = None,
                 labels: Optional[Mapping[str, str]] = None) -> None:
        self.origin = origin or _caller()
        self.name = _name(name, "feature view name", self.origin)
        self.owner, self.tags, self.labels = _catalog(owner, tags, labels,
                                                      f"feature view '{self.name}'", self.origin)
        if isinstance(entities, (str, Entity)):
            entities = [entities]
        self.entities: List[Union[Entity, str]] = list(entities)
        for e in self.entities:
            _entity_name(e, self.origin)
        if not isinstance(source, (FileSource, str)):
            raise _fail(f"feature view '{self.name}': source must be a FileSource or a source "
                        f"name, got {source!r}", self.origin)
        self.source = source
        self.features: List[Feature] = list(features)
        self.ttl = duration_text(ttl, f"ttl of feature view '{self.name}'")
        if not isinstance(online, bool):
            raise _fail(f"feature view '{self.name}': online must be True or False", self.origin)
        self.online = online
        self.description = description or ""

    @property
    def entity_names(self) -> List[str]:
        return [_entity_name(e, self.origin) for e in self.entities]

    @property
    def source_name(self) -> str:
        return self.source.name if isinstance(self.source, FileSource) else self.source

    def _key(self) -> tuple:
        return (self.name, tuple(self.entity_names), self.source_name,
                tuple(self.features), self.ttl, self.online,
                self.description, self.owner, tuple(self.tags),
                tuple(sorted(self.labels.items())))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FeatureView) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash((self.name, self.source_name))

    def __repr__(self) -> str:
        return (f"FeatureView({self.name!r}, entities={self.entity_names!r}, "
                f"source={self.source_name!r}, ttl={self.ttl!r}, online={self.online}, "
                f"features={self.feature_names!r})")


class OnDemandFeatureView(_Features):
    """Request-time features: expressions over values passed with each request
    (``request_schema``) and over features of stored views (``sources``), computed when
    features are read, online and in training sets; never stored. In an expression a request
    field is named bare (``amount``) and a stored feature by its view
    (``customer_features.average_order_value``)::

        fst.OnDemandFeatureView(
            "transaction_features", request_schema={"amount": "float64"},
            sources=[customer_features],
            features={"amount_vs_average":
                      fst.expr("amount / customer_features.average_order_value")})

    ``view["amount_vs_average"]`` is the reference ``"transaction_features:amount_vs_average"``.
    """

    _what = "on-demand feature view"

    def __init__(self, name: str, request_schema: SchemaLike,
                 sources: Sequence[Union[FeatureView, str]],
                 features: Mapping[str, Union[Expr, str]], description: str = "",
                 origin: Optional[Origin] = None, *, owner: Optional[str] = None,
                 tags: Optional[Sequence[str]] = None,
                 labels: Optional[Mapping[str, str]] = None) -> None:
        self.origin = origin or _caller()
        self.name = _name(name, "on-demand feature view name", self.origin)
        self.owner, self.tags, self.labels = _catalog(
            owner, tags, labels, f"on-demand feature view '{self.name}'", self.origin)
        self.request_schema: List[Column] = _schema(
            request_schema, self.name, self.origin,
            f"request_schema of on-demand feature view '{self.name}'")
        if isinstance(sources, (str, FeatureView)):
            sources = [sources]
        self.sources: List[Union[FeatureView, str]] = list(sources)
        for source in self.sources:
            if not isinstance(source, (FeatureView, str)):
                raise _fail(f"on-demand feature view '{self.name}': sources must be "
                            f"FeatureViews or view names, got {source!r}", self.origin)
        if not isinstance(features, Mapping):
            raise _fail(f"on-demand feature view '{self.name}': features must be a dict of "
                        f"name -> expression, got {type(features).__name__}", self.origin)
        self.features: List[Feature] = []
        for key, value in features.items():
            key = _name(key, f"on-demand feature view '{self.name}': a feature name", self.origin)
            if isinstance(value, str):
                value = expr(value)
            if not isinstance(value, Expr) or isinstance(value, ColumnRef):
                raise _fail(f"on-demand feature view '{self.name}': feature '{key}' must be an "
                            f"expression (expr(...) or a string), got {value!r}", self.origin)
            self.features.append(Feature(key, "expression", expr=value.text,
                                         description=value.description,
                                         origin=value.origin or self.origin))
        self.description = description or ""

    @property
    def source_names(self) -> List[str]:
        return [s.name if isinstance(s, FeatureView) else s for s in self.sources]

    def _key(self) -> tuple:
        return (self.name, tuple(self.request_schema), tuple(self.source_names),
                tuple(self.features), self.description, self.owner, tuple(self.tags),
                tuple(sorted(self.labels.items())))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OnDemandFeatureView) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self.name)

    def __repr__(self) -> str:
        return (f"OnDemandFeatureView({self.name!r}, "
                f"request_schema={[c.name for c in self.request_schema]!r}, "
                f"sources={self.source_names!r}, features={self.feature_names!r})")


FeatureRefLike = Union[str, FeatureView, OnDemandFeatureView]


def feature_refs(features: Union[FeatureRefLike, Sequence[FeatureRefLike]],
                 origin: Optional[Origin] = None) -> List[str]:
    """``"view:feature"`` strings from strings and feature views (all their features)."""
    if isinstance(features, (str, FeatureView, OnDemandFeatureView)):
        features = [features]
    refs: List[str] = []
    for item in features:
        if isinstance(item, (FeatureView, OnDemandFeatureView)):
            refs.extend(item.refs)
        elif isinstance(item, str):
            refs.append(item)
        else:
            raise _fail(f"features: expected 'view:feature' strings or FeatureView objects, "
                        f"got {item!r}", origin)
    return refs


class FeatureService:
    """A named list of features that a model consumes, e.g. ``churn_model``."""

    def __init__(self, name: str, features: Union[FeatureRefLike, Sequence[FeatureRefLike]],
                 description: str = "", *, owner: Optional[str] = None,
                 tags: Optional[Sequence[str]] = None,
                 labels: Optional[Mapping[str, str]] = None) -> None:
        self.origin = _caller()
        self.name = _name(name, "feature service name", self.origin)
        self.features: List[str] = feature_refs(features, self.origin)
        self.description = description or ""
        self.owner, self.tags, self.labels = _catalog(
            owner, tags, labels, f"feature service '{self.name}'", self.origin)

    def _key(self) -> tuple:
        return (self.name, tuple(self.features), self.description, self.owner,
                tuple(self.tags), tuple(sorted(self.labels.items())))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FeatureService) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"FeatureService({self.name!r}, features={self.features!r})"


def view_from_function(fn: Any, name: Optional[str], entities: Sequence[Union[Entity, str]],
                       source: Union[FileSource, str], ttl: DurationLike, online: bool,
                       description: Optional[str], owner: Optional[str] = None,
                       tags: Optional[Sequence[str]] = None,
                       labels: Optional[Mapping[str, str]] = None) -> FeatureView:
    """Runs a feature view function once over the column namespace and collects its
    declarations."""
    code = getattr(fn, "__code__", None)
    origin = Origin(code.co_filename, code.co_firstlineno) if code else _caller()
    view_name = name or getattr(fn, "__name__", None)
    declared = fn(Columns(source))
    if not isinstance(declared, Mapping):
        raise _fail(f"feature view '{view_name}': the function must return a dict of feature "
                    f"name -> declaration, got {type(declared).__name__}", origin)
    features = []
    for key, value in declared.items():
        key = _name(key, f"feature view '{view_name}': a feature name", origin)
        features.append(Feature.from_declaration(key, value, origin))
    doc = (fn.__doc__ or "").strip()
    return FeatureView(view_name, entities, source, features, ttl, online,
                       description if description is not None else doc, origin,
                       owner=owner, tags=tags, labels=labels)


# ---------------------------------------------------------------------------------------------
# Specs (registry JSON) back to objects


def _contract_from_spec(contract: Any) -> Optional[Dict[str, Any]]:
    """A stored contract (defaults filled in) as YAML input: unset values dropped."""
    if not contract:
        return None

    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if v is not None and v != ""}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    return clean(contract)


def from_spec(kind: str, spec: Mapping[str, Any]) -> Any:
    """The Python object of a registry spec (``FeatureStore.describe(name)["spec"]``)."""
    catalog = {"owner": spec.get("owner"), "tags": spec.get("tags"),
               "labels": spec.get("labels")}
    if kind == "entity":
        return Entity(spec["name"], list(spec["join_keys"]), spec.get("description", ""),
                      **catalog)
    if kind == "source":
        columns = [Column(c["name"], c["type"], c.get("nullable", True), c.get("path", ""),
                          c.get("dim", 0))
                   for c in spec["schema"]]
        source = FileSource(spec["name"], columns, spec["timestamp_field"],
                            spec.get("created_timestamp_field") or None,
                            spec.get("format") or None, spec.get("description", ""),
                            _contract_from_spec(spec.get("contract")), **catalog)
        if spec.get("kind", "file") != "file":
            source.kind = spec["kind"]
        return source
    if kind == "feature_view":
        features = [Feature(f["name"], f["kind"], f.get("column", ""), f.get("expr", ""),
                            f.get("agg", ""), f.get("window", ""), f.get("description", ""))
                    for f in spec["features"]]
        return FeatureView(spec["name"], list(spec["entities"]), spec["source"], features,
                           spec["ttl"], spec["online"], spec.get("description", ""), **catalog)
    if kind == "on_demand_feature_view":
        columns = [Column(c["name"], c["type"], c.get("nullable", True), c.get("path", ""),
                          c.get("dim", 0))
                   for c in spec["request_schema"]]
        view = OnDemandFeatureView(spec["name"], columns, list(spec["sources"]), {},
                                   spec.get("description", ""), **catalog)
        view.features = [Feature(f["name"], "expression", expr=f["expr"],
                                 description=f.get("description", ""))
                         for f in spec["features"]]
        return view
    if kind == "feature_service":
        return FeatureService(spec["name"], list(spec["features"]), spec.get("description", ""),
                              **catalog)
    raise ValueError(f"unknown kind {kind!r}")
