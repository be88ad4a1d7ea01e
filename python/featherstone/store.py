"""FeatureStore: the Python face of one feature repository."""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import os
import pathlib
import warnings
from typing import (Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union)

import pyarrow as pa

from . import _arrow
from . import _featherstone as _native
from . import _push
from . import transform as _transform
from . import _yaml
from ._errors import DefinitionError, FeatherstoneError, NotFoundError, ValidationError
from ._time import DurationLike, TimeLike, from_micros, to_micros
from .definitions import (Entity, FeatureRefLike, FeatureService, FeatureView, FileSource,
                          OnDemandFeatureView, SchemaLike, feature_refs, from_spec,
                          view_from_function)
from .online import OnlineResponse
from .spine import Spine

__all__ = ["FeatureStore", "Change", "Plan", "SpecObject", "RegistryObject", "IngestResult",
           "PushResult"]

PathLike = Union[str, "os.PathLike[str]"]


class Change(str):
    """One line of a plan: ``"+ entity customer"``, ``"~ feature_view v (ttl: 30d -> 7d)"``,
    ``"- feature_service s"`` (the CLI's text), with its parts as attributes."""

    op: str
    kind: str
    name: str
    detail: str

    def __new__(cls, op: str, kind: str, name: str, detail: str = "") -> "Change":
        self = super().__new__(cls, f"{op} {kind} {name}" + (f" ({detail})" if detail else ""))
        self.op, self.kind, self.name, self.detail = op, kind, name, detail
        return self


@dataclasses.dataclass(frozen=True)
class SpecObject:
    """A definition as the registry stores it: its spec (JSON) and the spec's hash, which is
    the same whether the definition was written in YAML or made in Python."""

    kind: str
    name: str
    hash: str
    spec: Dict[str, Any]


@dataclasses.dataclass(frozen=True)
class RegistryObject:
    """An applied definition (one version)."""

    kind: str
    name: str
    version: int
    hash: str
    spec: Dict[str, Any]
    applied_at: _dt.datetime
    removed: bool = False

    def to_definition(self) -> Any:
        """The Entity, FileSource, FeatureView or FeatureService of this spec."""
        return from_spec(self.kind, self.spec)


class Plan(List[Change]):
    """The changes of a plan or apply (a list of ``Change``), and ``notes``: accepted schema
    changes worth knowing (widened types, added columns), as ``featherstone plan`` prints
    them."""

    notes: List[str]

    def __init__(self, changes: Sequence[Change] = (), notes: Sequence[str] = ()) -> None:
        super().__init__(changes)
        self.notes = list(notes)


@dataclasses.dataclass(frozen=True)
class IngestResult:
    """What one ingest did. ``rows``: rows written to the offline store; ``skipped``: the same
    data was ingested before (as ingest ``ingest_id``) and nothing was written again. With a
    data contract on the source: ``rows_quarantined`` rows broke an error-level rule and went
    to quarantine, ``warnings`` lists warn-level failures, ``probe`` tells that the run was
    the circuit breaker's (passing) probe."""

    input: str
    ingest_id: int
    rows: int
    parts: int
    skipped: bool
    rows_read: int = 0
    rows_quarantined: int = 0
    has_contract: bool = False
    probe: bool = False
    warnings: Tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class PushResult:
    """What one push did (the body POST /push answers). ``rows_written``: rows written to
    the offline store; ``rows_quarantined``: rows that broke an error-level rule of the
    source's contract and went to quarantine; ``ingest_id``: the ingest that holds them;
    ``warnings``: warn-level failures and tolerated error-level ones; ``materialized``:
    online view -> keys refreshed (empty for ``to="offline"``)."""

    rows_written: int
    rows_quarantined: int
    ingest_id: int
    warnings: Tuple[str, ...] = ()
    materialized: Dict[str, int] = dataclasses.field(default_factory=dict)


def _record(t: Tuple[Any, ...]) -> RegistryObject:
    kind, name, version, hash_, spec, applied_at, removed = t
    return RegistryObject(kind, name, version, hash_, json.loads(spec), from_micros(applied_at),
                          removed)


def _change(t: Tuple[str, str, str, str]) -> Change:
    return Change(*t)


_MISSING = object()


class FeatureStore:
    """A feature repository: definitions, registry, offline and online stores, driven by
    the same C++ engine as the ``featherstone`` command.

    >>> import featherstone as fst
    >>> fs = fst.FeatureStore("shop")              # a folder; created when missing
    >>> customer = fst.Entity("customer", join_keys=["customer_id"])
    >>> orders = fst.FileSource("orders", schema={"customer_id": "int64", "amount": "float64",
    ...                         "event_ts": "timestamp"}, timestamp_field="event_ts")
    >>> @fs.feature_view(name="customer_features", entities=[customer], source=orders, ttl="30d")
    ... def customer_features(o):
    ...     return {"amount": o.amount, "amount_cents": o.amount * 100}
    >>> fs.apply()                                 # ['+ entity customer', ...]
    >>> fs.ingest("orders", orders_df)             # a DataFrame, pyarrow Table or file path
    >>> train = fs.get_historical_features(entity_df, features=["customer_features:amount"])
    >>> fs.materialize(end="2026-11-25T00:00:00Z")
    >>> fs.get_online_features(["customer_features:amount"], [{"customer_id": 42}]).to_dict()

    Definitions: objects made in Python (``feature_view``, ``feature_service``,
    ``register``) are laid over the repo's YAML files (``featherstone.yaml`` and other
    ``*.yaml`` beside it): a Python object replaces a YAML object of the same kind and name.
    With no Python definitions, ``plan``/``apply`` use the YAML alone, exactly as
    ``featherstone plan``/``apply`` do.

    Errors raise ``DefinitionError``, ``ValidationError``, ``NotFoundError`` (all
    ``FeatherstoneError``) with the engine's message. Engine calls release the GIL; one
    FeatureStore serializes its own calls. The online store (RocksDB) is held open by one
    process at a time: ``close()`` (or ``with FeatureStore(...) as fs:``) before the CLI
    materializes or looks up the same repo.
    """

    def __init__(self, repo: PathLike = ".", *, project: Optional[str] = None) -> None:
        """Opens the feature repository folder `repo` (created, with its registry, when
        missing). `project` names the project in definitions made in Python (default: the
        folder's name; featherstone.yaml's project wins when the file exists)."""
        path = pathlib.Path(repo)
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise FeatherstoneError(f"cannot create the repository folder {path}: {e}") from None
        self._native = _native.Store(str(path))
        self.repo_path = pathlib.Path(self._native.dir)
        self.project = project or self.repo_path.name
        self._entities: Dict[str, Entity] = {}
        self._sources: Dict[str, FileSource] = {}
        self._views: Dict[str, FeatureView] = {}
        self._on_demand_views: Dict[str, OnDemandFeatureView] = {}
        self._services: Dict[str, FeatureService] = {}
        self._refs: Dict[Any, Any] = {}

    # -- lifecycle ------------------------------------------------------------------------

    def close(self) -> None:
        """Closes the registry and the online store; later calls raise FeatherstoneError."""
        self._refs.clear()
        self._native.close()

    def refresh(self) -> None:
        """Re-reads the registry: sees definitions applied by another process (the CLI)."""
        self._refs.clear()
        self._native.refresh()

    def __enter__(self) -> "FeatureStore":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"FeatureStore({str(self.repo_path)!r})"

    # -- definitions ----------------------------------------------------------------------

    def register(self, *objects: Union[Entity, FileSource, FeatureView, OnDemandFeatureView,
                                       FeatureService]) -> None:
        """Adds definitions made in Python (entities and sources that views use are added
        with the view; register others, or objects made directly, here). A later object of
        the same kind and name replaces an earlier one."""
        for obj in objects:
            if isinstance(obj, Entity):
                self._entities[obj.name] = obj
            elif isinstance(obj, FileSource):
                self._sources[obj.name] = obj
            elif isinstance(obj, FeatureView):
                for entity in obj.entities:
                    if isinstance(entity, Entity):
                        self._entities[entity.name] = entity
                if isinstance(obj.source, FileSource):
                    self._sources[obj.source.name] = obj.source
                self._views[obj.name] = obj
            elif isinstance(obj, OnDemandFeatureView):
                self.register(*[s for s in obj.sources if isinstance(s, FeatureView)])
                self._on_demand_views[obj.name] = obj
            elif isinstance(obj, FeatureService):
                self._services[obj.name] = obj
            else:
                raise DefinitionError(f"cannot register {type(obj).__name__} {obj!r}: expected "
                                      "Entity, FileSource, FeatureView, OnDemandFeatureView or "
                                      "FeatureService")

    def feature_view(self, *, name: Optional[str] = None,
                     entities: Sequence[Union[Entity, str]],
                     source: Union[FileSource, str], ttl: DurationLike = "0",
                     online: bool = True,
                     description: Optional[str] = None, owner: Optional[str] = None,
                     tags: Optional[Sequence[str]] = None,
                     labels: Optional[Mapping[str, str]] = None
                     ) -> Callable[[Callable[..., Any]], FeatureView]:
        """Decorator: declares a feature view from a function run once, now.

        The function receives the source's column namespace ``o`` (``o.amount`` is the
        column ``amount``) and returns a dict of feature name -> declaration: a column
        (passthrough), ``count/sum/avg/min/max/stddev/last/first/count_distinct(column,
        window="30d")``, or an expression (``expr("...")``, ``o.amount * 100``,
        ``days_since(...)``). The engine computes them, the same way for training sets and
        online. The decorated name becomes the ``FeatureView`` (``view["f"]`` is the
        reference ``"name:f"``). ``ttl``: "30d", "12h", "0" (unbounded), a timedelta or
        seconds. ``source``: a FileSource or the name of a source defined in YAML. The
        function's docstring is the default description. ``owner``, ``tags`` and ``labels``
        are the catalog metadata of the YAML keys of the same names (``catalog search``).
        """
        def decorate(fn: Callable[..., Any]) -> FeatureView:
            view = view_from_function(fn, name, entities, source, ttl, online, description,
                                      owner, tags, labels)
            self.register(view)
            return view

        return decorate

    def on_demand_feature_view(self, name: str, *, request_schema: SchemaLike,
                               sources: Sequence[Union[FeatureView, str]],
                               features: Mapping[str, Any],
                               description: str = "") -> OnDemandFeatureView:
        """Declares request-time features: expressions over the values passed with each
        request (``request_schema``, e.g. ``{"amount": "float64"}``) and over features of the
        ``sources`` views, named ``view.feature`` (``"amount /
        customer_features.average_order_value"``). In ``get_historical_features`` the request
        fields are columns of the entity rows."""
        view = OnDemandFeatureView(name, request_schema, sources, features, description)
        self.register(view)
        return view

    def feature_service(self, name: str,
                        features: Union[FeatureRefLike, Sequence[FeatureRefLike]],
                        description: str = "") -> FeatureService:
        """Declares a feature service: a named list of ``"view:feature"`` references (or
        whole FeatureViews) that a model consumes."""
        service = FeatureService(name, features, description)
        self.register(service)
        return service

    @property
    def definitions(self) -> List[Any]:
        """The definitions made in Python, in kind order."""
        return [*self._entities.values(), *self._sources.values(), *self._views.values(),
                *self._on_demand_views.values(), *self._services.values()]

    def _python_yaml(self) -> Tuple[Optional[str], Dict[int, Any]]:
        if not self.definitions:
            return None, {}
        return _yaml.render(self.project, list(self._entities.values()),
                            list(self._sources.values()), list(self._views.values()),
                            list(self._services.values()),
                            on_demand_views=list(self._on_demand_views.values()))

    def _definitions_call(self, call: Callable[[Optional[str]], Any]) -> Any:
        text, origins = self._python_yaml()
        if text is None and not (self.repo_path / "featherstone.yaml").is_file():
            raise DefinitionError(
                f"no definitions: make some in Python (feature_view, feature_service, "
                f"register) or write {self.repo_path / 'featherstone.yaml'}")
        try:
            return call(text)
        except DefinitionError as e:
            raise DefinitionError(_yaml.rewrite_locations(str(e), origins)) from None

    def to_yaml(self, path: Optional[PathLike] = None) -> str:
        """The definitions made in Python as canonical ``featherstone.yaml`` text (DESIGN
        section 2), for review; written to `path` too when given. Loading that file gives
        the same registry objects (same spec hashes)."""
        text, _ = _yaml.render(self.project, list(self._entities.values()),
                               list(self._sources.values()), list(self._views.values()),
                               list(self._services.values()),
                               header=["Featherstone definitions exported from Python "
                                       "(FeatureStore.to_yaml)."],
                               on_demand_views=list(self._on_demand_views.values()))
        if path is not None:
            pathlib.Path(path).write_text(text)
        return text

    def spec_objects(self) -> List[SpecObject]:
        """The objects ``apply`` would store, with their specs and spec hashes, after
        validation (raises DefinitionError like ``plan``)."""
        rows = self._definitions_call(
            lambda text: self._native.spec_objects(text, _yaml.PYTHON_FILE))
        return [SpecObject(kind, name, hash_, json.loads(spec)) for kind, name, hash_, spec in rows]

    def plan(self) -> Plan:
        """What ``apply`` would add (+), change (~) or remove (-), as the CLI prints it; an
        empty list when nothing would change. Runs the checks ``featherstone plan`` runs:
        validation, expressions and aggregations type-checked, contracts compiled, schema
        evolution against the applied definitions and stored data. Raises DefinitionError
        for invalid definitions (all problems, one per line, each with its file:line) and
        for a refused schema change."""
        return self._plan(apply=False)

    def apply(self) -> Plan:
        """Checks the definitions as ``plan`` does and stores them in the registry in one
        transaction; returns the changes made (empty when there were none)."""
        changes = self._plan(apply=True)
        self._refs.clear()
        return changes

    def _plan(self, apply: bool) -> Plan:
        changes, notes = self._definitions_call(
            lambda text: self._native.plan(text, _yaml.PYTHON_FILE, apply))
        for note in notes:
            warnings.warn(f"featherstone: {note}", stacklevel=3)
        return Plan([_change(c) for c in changes], notes)

    # -- registry -------------------------------------------------------------------------

    def list_objects(self, kind: Optional[str] = None) -> List[RegistryObject]:
        """Applied objects (latest versions), optionally of one kind: entity, source,
        feature_view or feature_service."""
        return [_record(r) for r in self._native.list(kind or "")]

    def list_entities(self) -> List[Entity]:
        """Applied entities."""
        return [r.to_definition() for r in self.list_objects("entity")]

    def list_sources(self) -> List[FileSource]:
        """Applied sources."""
        return [r.to_definition() for r in self.list_objects("source")]

    def list_feature_views(self) -> List[FeatureView]:
        """Applied feature views."""
        return [r.to_definition() for r in self.list_objects("feature_view")]

    def list_on_demand_feature_views(self) -> List[OnDemandFeatureView]:
        """Applied on-demand feature views."""
        return [r.to_definition() for r in self.list_objects("on_demand_feature_view")]

    def list_feature_services(self) -> List[FeatureService]:
        """Applied feature services."""
        return [r.to_definition() for r in self.list_objects("feature_service")]

    def describe(self, name: str) -> Dict[str, Any]:
        """The applied object named `name`: ``{"kind", "name", "version", "hash", "spec",
        "applied_at", "history": [{"version", "hash", "applied_at", "removed"}, ...]}`` (as
        ``featherstone describe``). Raises NotFoundError when nothing of that name is
        applied."""
        history = [_record(r) for r in self._native.history(name)]
        if not history:
            raise NotFoundError(f"nothing named '{name}' is applied")
        current = history[-1]
        return {
            "kind": current.kind, "name": current.name, "version": current.version,
            "hash": current.hash, "spec": current.spec, "applied_at": current.applied_at,
            "removed": current.removed,
            "history": [{"version": r.version, "hash": r.hash, "applied_at": r.applied_at,
                         "removed": r.removed} for r in history],
        }

    def search_catalog(self, text: str = "", tag: Optional[str] = None,
                       owner: Optional[str] = None, kind: Optional[str] = None,
                       limit: int = 20) -> List[Dict[str, Any]]:
        """Applied objects and features ranked for `text` (an exact name first, then by
        how well the words match names, tags, labels and descriptions), optionally only
        those with `tag`, of `owner` or of `kind` (entity, source, feature_view,
        on_demand_feature_view, feature_service, feature): the rows of ``featherstone catalog
        search --json``, each ``{"kind", "name", "description", "owner", "tags", "labels",
        "exact_name", "score"}``."""
        return json.loads(self._native.search_catalog(text, tag or "", owner or "", kind or "",
                                                      limit))

    # -- data -----------------------------------------------------------------------------

    def ingest(self, source: Union[str, FileSource], data: Any = None,
               incremental: bool = False) -> Union[IngestResult, List[IngestResult]]:
        """Validates `data` against the source's schema and appends it to the offline store,
        atomically: a bad row raises ValidationError (naming row, column and value) and
        writes nothing. Data ingested before (same bytes) is skipped.

        `data`: a file path (csv/parquet/jsonl) or a list of paths; a pandas DataFrame, a
        pyarrow Table or RecordBatch, or any Arrow stream. Timestamp columns of in-memory
        data: naive values are UTC, aware values are converted, strings as in files. Row
        numbers in errors count data rows from 1.

        No `data` for a source that reads its own input, as ``featherstone ingest SOURCE``
        does: ``kind: postgres`` reads its table or query from the database
        (``incremental=True`` as ``--incremental``; docs/connectors.md "PostgreSQL"), ``kind:
        files`` what is new since its last ingest (``skipped`` when nothing is).
        """
        name = source.name if isinstance(source, FileSource) else source
        if data is None:
            return IngestResult(**self._native.ingest_source(name, incremental))
        if incremental:
            raise TypeError("incremental=True applies to sources of kind postgres, read without "
                            "a data argument")
        if isinstance(data, (str, os.PathLike)):
            return self._ingest_file(name, os.fspath(data))
        if isinstance(data, (list, tuple)) and data and all(
                isinstance(d, (str, os.PathLike)) for d in data):
            return [self._ingest_file(name, os.fspath(d)) for d in data]
        label = "DataFrame" if _arrow.is_pandas(data) else type(data).__name__
        return self._ingest_table(name, _arrow.to_table(data, f"ingest into '{name}'"),
                                  f"<{label}>")

    def _ingest_file(self, source: str, path: str) -> IngestResult:
        return IngestResult(**self._native.ingest(source, path))

    def _ingest_table(self, source: str, table: pa.Table, what: str) -> IngestResult:
        return IngestResult(**self._native.ingest_table(source, table.__arrow_c_stream__(), what))

    def run_transform(self, source: str) -> List[IngestResult]:
        """Runs the Python transform of source `source` (``kind: python``; its ``transform:
        MODULE:FUNCTION`` and ``input: SOURCE``) over every published ingest of the input it
        has not transformed yet, oldest first, and ingests each result into `source` (schema,
        contract and quarantine as any ingest). One result per input ingest; an empty output
        is ``skipped``. Each input ingest is transformed exactly once, also across a crash
        (docs/connectors.md "Python transforms"). Raises ValidationError for a source of
        another kind, DefinitionError when the function cannot be loaded."""
        spec = self.describe(source)["spec"]
        if spec.get("kind", "file") != "python":
            raise ValidationError(f"source '{source}' is of kind {spec.get('kind', 'file')}; "
                                  "run_transform runs sources of kind python")
        transform, input_source = spec["options"]["transform"], spec["options"]["input"]
        fn = _transform.load_function(self._native.dir, source, transform)
        results = []
        for ingest_id, paths in _transform.pending(self._native, source, transform,
                                                   input_source):
            what = _transform.label(transform, input_source, ingest_id)
            table = _arrow.to_table(fn(_transform.input_rows(paths, ingest_id)),
                                    f"source '{source}': the result of transform '{transform}'")
            results.append(IngestResult(what, 0, 0, 0, True) if table.num_rows == 0
                           else self._ingest_table(source, table, what))
        return results

    def push(self, source: Union[str, FileSource], data: Any,
             to: str = "online_and_offline") -> PushResult:
        """Pushes rows into a source (of any kind, e.g. ``kind: push``) and, unless
        ``to="offline"``, refreshes the online store of every online view reading it: what
        ``featherstone push`` and POST /push do, with the same outcome and error text for
        the same rows. The refresh is an exact incremental materialization, so an online
        read afterwards equals the point-in-time value.

        `data`: a pandas DataFrame, a pyarrow Table or RecordBatch, a dict of lists, or any
        Arrow stream. Each row becomes one event, read by column name and converted to the
        source's declared types (timestamps: datetimes, naive = UTC, or ISO-8601 / epoch
        text); a declared column the data lacks is null; extra columns are ignored. Then the
        source's contract runs as for ``ingest`` (quarantine, reject_batch, breaker).
        Validation is per event: a row with a value that does not fit, or without a join key
        or event time, is quarantined with the reason (``push to 'orders': line 2: column
        'amount': ...``, also in ``warnings``) and the other rows are written.

        `to`: ``"offline"`` (the offline store only), ``"online"`` or
        ``"online_and_offline"`` (the default; both also write the offline store, from which
        the online store is derived).

        Unlike ``ingest`` nothing is deduplicated: pushing the same rows twice stores them
        twice. Meant for small batches as they happen; load files and large tables with
        ``ingest``. Raises ValidationError for the contract's verdict (every row
        quarantined, a rejected batch, an open breaker; nothing is written) and
        NotFoundError for an unknown source.

        >>> fs.push("orders", {"customer_id": [42], "order_id": ["o9"], "amount": [12.5],
        ...                    "event_ts": ["2026-12-02T10:00:00Z"]})
        PushResult(rows_written=1, rows_quarantined=0, ingest_id=7, warnings=(),
                   materialized={'customer_features': 1})
        """
        name = source.name if isinstance(source, FileSource) else source
        _push.check_target(to)
        what = f"push to '{name}'"
        cols, rows = _push.columns(data, what)
        r = self._native.push(name, _push.json_lines(cols, rows), what, to != "offline")
        return PushResult(r["rows"], r["rows_quarantined"], r["ingest_id"],
                          tuple(r["warnings"]), dict(r["materialized"]))

    def materialize(self, end: Optional[TimeLike] = None, start: Optional[TimeLike] = None, *,
                    incremental: bool = False,
                    views: Optional[Sequence[Union[str, FeatureView]]] = None) -> Dict[str, int]:
        """Writes the latest row per entity (event time in [start, end]) of every online view
        (or of `views`) to the online store; returns keys written per view.
        ``incremental=True`` continues from the last watermark (end defaults to now).
        Times: datetime (naive = UTC), ISO-8601 text or epoch."""
        if end is None and not incremental:
            raise ValidationError("materialize needs end=... (or incremental=True)")
        if start is not None and incremental:
            raise ValidationError("start and incremental=True exclude each other")
        end_us = _native.now_micros() if end is None else to_micros(end, "end")
        start_us = None if start is None else to_micros(start, "start")
        if start_us is not None and start_us > end_us:
            raise ValidationError("start is after end")
        names = [v.name if isinstance(v, FeatureView) else v for v in (views or [])]
        return dict(self._native.materialize(end_us, start_us, incremental, names))

    # -- retrieval ------------------------------------------------------------------------

    @staticmethod
    def _resolve_args(features: Any, service: Any) -> Tuple[str, str]:
        """The (features, service) text the engine resolves, exactly one non-empty."""
        if service is not None:
            if features is not None:
                raise ValidationError("give features or service, not both")
            return "", service.name if isinstance(service, FeatureService) else service
        if features is None:
            raise ValidationError("give features=[\"view:feature\", ...] or service=...")
        return ",".join(feature_refs(features)), ""

    def _resolve(self, features: Any, service: Any) -> Any:
        return self._native.resolve(*self._resolve_args(features, service))

    def _refs_for(self, features: Any, service: Any) -> Any:
        key = (tuple(features) if isinstance(features, (list, tuple)) else features, service)
        try:
            refs = self._refs.get(key, _MISSING)
        except TypeError:  # unhashable items
            return self._resolve(features, service)
        if refs is _MISSING:
            refs = self._refs[key] = self._resolve(features, service)
        return refs

    def get_historical_features(self, entity_df: Any = None,
                                features: Optional[Union[FeatureRefLike, Sequence[FeatureRefLike]]] = None,
                                *, service: Optional[Union[str, FeatureService]] = None,
                                full_feature_names: bool = False,
                                timestamp_column: str = "event_timestamp",
                                spine: Optional[Spine] = None,
                                chunk_rows: int = 1 << 20,
                                memory_limit: Union[int, str, None] = "2GB",
                                engine: str = "local",
                                spark_master: str = "local[2]",
                                spark_partitions: Optional[int] = None) -> pa.Table:
        """A training set: for each entity row (join keys + timestamp), the features as they
        were at that time (point-in-time correct, ttl applied; DESIGN section 3). One output
        row per entity row, in input order: the join keys, the timestamp, the entity's other
        columns, then the features (named ``feature``, or ``view__feature`` with
        full_feature_names) -- the same table as ``featherstone historical``.

        `entity_df`: a pandas DataFrame, pyarrow Table, any Arrow stream, or a file path
        (csv/parquet/jsonl, read exactly as ``featherstone historical --entities``). The
        timestamp column may hold timestamps (naive = UTC), dates, ISO-8601 text or epochs.
        Returns a pyarrow.Table (``.to_pandas()`` for a DataFrame); data crosses the
        boundary as Arrow, without a Python loop over rows.

        Without entity rows, `spine` generates them (``fst.Spine.every("1d", "customer",
        start=..., end=...)`` or ``fst.Spine.from_source("orders", at="event_ts")``), as
        ``featherstone historical --spine`` does, computed `chunk_rows` entity rows at a time.

        `memory_limit` bounds what the computation holds at once, as ``featherstone historical
        --memory-limit`` does: bytes (an int) or a size such as ``"512MB"`` or ``"2GB"``;
        ``0``, ``"none"`` or None for no limit. Entity rows are computed in chunks and windowed
        aggregations by key ranges; the returned table itself is not bounded.

        ``engine="spark"`` computes the same table as Spark jobs (pyspark and Java 17; the
        active Spark session, else one on `spark_master`), the entity rows and the sources'
        rows partitioned by join key into `spark_partitions` partitions (default: twice
        Spark's parallelism), each joined by the same C++ kernel (docs/scaling.md). It takes
        entity rows, not a spine.
        """
        if engine not in ("local", "spark"):
            raise ValidationError(f"engine: expected 'local' or 'spark', got {engine!r}")
        if isinstance(memory_limit, bool) or not isinstance(memory_limit, (int, str, type(None))):
            raise ValidationError(f"memory_limit: expected bytes (an int), a size such as "
                                  f"'512MB', or None, got {type(memory_limit).__name__}")
        limit = "none" if memory_limit is None else str(memory_limit)
        if engine == "spark" and memory_limit != "2GB":
            raise ValidationError("memory_limit applies to the local engine; Spark manages its "
                                  "own memory")
        if engine == "spark":
            if spine is not None or entity_df is None:
                raise ValidationError("engine='spark' takes entity_df, not a spine")
            from . import spark_engine

            text, name = self._resolve_args(features, service)
            return spark_engine.historical(
                self.repo_path, entity_df, features=text, service=name,
                timestamp_column=timestamp_column, full_feature_names=full_feature_names,
                master=spark_master, partitions=spark_partitions).table
        refs = self._refs_for(features, service)
        if (entity_df is None) == (spine is None):
            raise ValidationError("give exactly one of entity_df and spine=fst.Spine...")
        if spine is not None:
            if not isinstance(spine, Spine):
                raise ValidationError(f"spine: expected a featherstone.Spine, got "
                                      f"{type(spine).__name__}")
            capsule = self._native.historical_spine(refs, spine.text, spine.source, spine.at,
                                                    timestamp_column, full_feature_names,
                                                    chunk_rows, limit)
            return _arrow.import_stream(capsule)
        if isinstance(entity_df, (str, os.PathLike)):
            capsule = self._native.historical_file(refs, os.fspath(entity_df), timestamp_column,
                                                   full_feature_names, limit)
            return _arrow.import_stream(capsule)
        table = _arrow.to_table(entity_df, "entity rows")
        capsule = self._native.historical(refs, table.__arrow_c_stream__(), timestamp_column,
                                          full_feature_names, limit)
        return _arrow.import_stream(capsule)

    def get_training_set(self, service: Union[str, FeatureService], labels: str, *,
                         start: Optional[TimeLike] = None, end: Optional[TimeLike] = None,
                         join: str = "auto", horizon: Optional[str] = None,
                         recompute: bool = False) -> pa.Table:
        """A retraining set from what `service` actually served (the feature log of
        ``featherstone serve``) joined with the outcome source `labels` -- the same table as
        ``featherstone training-set`` (docs/feedback.md). Each served (request, entity) row
        takes the earliest outcome at or after its serving time: by request id (`join`
        "request_id", the default when the outcome source has that column) or by join keys
        within `horizon` ("keys", e.g. horizon="30d"); an outcome from before serving never
        joins. `start`/`end` select requests by serving time. Columns: request_id, served_at,
        the join keys, the features as served (recomputed from the offline store at each
        lookup time with `recompute`), then the outcome columns. Returns a pyarrow.Table."""
        name = service.name if isinstance(service, FeatureService) else service
        capsule = self._native.training_set(
            name, labels, None if start is None else to_micros(start, "start"),
            None if end is None else to_micros(end, "end"), join, horizon or "", recompute)
        return _arrow.import_stream(capsule)

    def reproduce(self, request_id: str) -> Dict[str, Any]:
        """Recomputes every value of one served response from the offline store at its lookup
        time and compares -- ``featherstone reproduce --json`` as a dict: ``equal``,
        ``values``, and ``mismatches`` (entity, feature, served, recomputed, reason: late_data,
        stale_online, definition_changed, ttl or unexplained, and the evidence)."""
        return json.loads(self._native.reproduce(request_id))

    def skew(self, service: Optional[Union[str, FeatureService]] = None, *,
             start: Optional[TimeLike] = None, end: Optional[TimeLike] = None,
             sample: int = 0) -> Dict[str, Any]:
        """Training-serving skew over many logged responses, per feature (``featherstone skew
        --json`` as a dict); the run is recorded in the registry."""
        name = service.name if isinstance(service, FeatureService) else (service or "")
        return json.loads(self._native.skew(
            name, None if start is None else to_micros(start, "start"),
            None if end is None else to_micros(end, "end"), sample))

    def get_online_features(self, features: Optional[Union[FeatureRefLike, Sequence[FeatureRefLike]]] = None,
                            entity_rows: Any = (), *,
                            service: Optional[Union[str, FeatureService]] = None,
                            at: Optional[TimeLike] = None,
                            full_feature_names: bool = False) -> OnlineResponse:
        """The latest materialized features of entities: `entity_rows` is a list of dicts of
        join key -> value (``[{"customer_id": 42}]``; a DataFrame or a dict of lists works
        too). A feature is None when missing or older than its view's ttl at `at` (default
        now). On-demand features take their request values from the same dicts, beside the
        join keys (``[{"customer_id": 42, "amount": 12.5}]``). Returns an OnlineResponse: a mapping of column -> values (``.to_dict()``,
        ``.to_pandas()``, ``.rows`` = the CLI's JSON)."""
        try:  # the hot path: a request seen before
            refs = self._refs[(tuple(features) if type(features) is list else features, service)]
        except (KeyError, TypeError):
            refs = self._refs_for(features, service)
        if type(entity_rows) is not list:
            entity_rows = _entity_rows(entity_rows)
        return self._native.online(refs, entity_rows, None if at is None else to_micros(at, "at"),
                                   full_feature_names, OnlineResponse)


def _entity_rows(rows: Any) -> List[Dict[str, Any]]:
    if isinstance(rows, Mapping):
        columns = {k: list(v) if isinstance(v, (list, tuple)) else [v] for k, v in rows.items()}
        n = len(next(iter(columns.values()), []))
        return [{k: v[i] for k, v in columns.items()} for i in range(n)]
    if _arrow.is_pandas(rows):
        return rows.to_dict("records")
    if isinstance(rows, pa.Table):
        return rows.to_pylist()
    return list(rows)
