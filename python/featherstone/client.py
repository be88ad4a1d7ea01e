"""Client: the Python face of a running ``featherstone serve`` (docs/serving.md), over HTTP.

It speaks the server's Feast-shaped JSON and gives back what ``FeatureStore`` gives in
process: the same ``get_online_features`` call and ``OnlineResponse``, the same push and
``PushResult``, the same exception classes with the server's message. Standard library only.
"""

from __future__ import annotations

import http.client
import json
import math
import operator
import select
import socket
import threading
import time
import urllib.parse
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple, Union

from . import _featherstone as _native
from . import _push
from ._errors import (FeatherstoneError, NotFoundError, NotSupportedError, PermissionDeniedError,
                      ServerUnreachableError, ValidationError)
from ._time import TimeLike, to_micros
from .definitions import FeatureRefLike, FeatureService, FileSource, feature_refs
from .online import OnlineResponse
from .store import PushResult, _entity_rows

__all__ = ["Client"]

Features = Union[FeatureRefLike, Sequence[FeatureRefLike]]

# HTTP status -> the class FeatureStore raises for the same condition (docs/serving.md
# "Errors"): bad input and contract verdicts are ValidationError, unknown names NotFoundError.
_ERRORS = {
    400: ValidationError,
    401: PermissionDeniedError,
    403: PermissionDeniedError,
    404: NotFoundError,
    413: ValidationError,
    422: ValidationError,
    501: NotSupportedError,
}

# A kept-alive connection idle this long is replaced before use: the server closes idle ones
# (after 60 s by default), and a request sent into a closing socket may be lost.
_IDLE_SECONDS = 30.0


class Client:
    """A connection to ``featherstone serve``.

    >>> import featherstone as fst
    >>> client = fst.Client("http://127.0.0.1:6566")             # token="..." with --auth
    >>> client.get_online_features(["customer_features:amount"], [{"customer_id": 42}]).to_dict()
    {'customer_id': [42], 'amount': [12.5]}
    >>> client.get_online_features(service="churn_model", entity_rows=[{"customer_id": 42}])
    >>> client.push("orders", df)                                 # PushResult(rows_written=...)
    >>> client.health()                                           # {'status': 'ok'}

    ``get_online_features`` and ``push`` take the arguments of ``FeatureStore``'s methods of
    the same names and return the same objects, so code written against a local store runs
    against a server by swapping the object. Errors raise the same classes too
    (``ValidationError``, ``NotFoundError``, ...; all ``FeatherstoneError``) with the
    server's message and ``http_status`` set; HTTP 401/403 raise ``PermissionDeniedError``;
    a server that cannot be reached raises ``ServerUnreachableError`` naming the URL.

    One HTTP/1.1 connection is kept alive and reused; calls from several threads take turns
    on it (use one Client per thread for parallel requests). ``timeout`` (seconds) bounds
    connecting and each wait for an answer. ``close()``, or ``with Client(...) as c:``,
    closes the connection.
    """

    def __init__(self, url: str = "http://127.0.0.1:6566", token: Optional[str] = None,
                 timeout: float = 10.0) -> None:
        """`url`: the server's address, as ``featherstone serve`` prints it (``http://`` or
        ``https://``, optionally with a path prefix when behind a proxy). `token`: the bearer
        token sent as ``Authorization: Bearer TOKEN`` (needed when the server runs with
        ``--auth``)."""
        parts = urllib.parse.urlsplit(url if "://" in url else "http://" + url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"url: expected http://HOST:PORT, got {url!r}")
        self.url = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
        self.timeout = timeout
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port or (443 if self._https else 80)
        self._prefix = parts.path.rstrip("/")
        self._headers = {"Accept": "application/json"}
        if token is not None:
            self._headers["Authorization"] = f"Bearer {token}"
        self._conn: Optional[http.client.HTTPConnection] = None
        self._last_used = 0.0
        self._lock = threading.Lock()
        self._catalog: Optional[Dict[str, Any]] = None
        self._keys: Dict[Any, Tuple[Optional[Set[str]], bool]] = {}

    # -- lifecycle ------------------------------------------------------------------------

    def close(self) -> None:
        """Closes the kept-alive connection (the next call opens a new one)."""
        with self._lock:
            self._drop()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Client({self.url!r})"

    # -- endpoints ------------------------------------------------------------------------

    def get_online_features(self, features: Optional[Features] = None,
                            entity_rows: Any = (), *,
                            service: Optional[Union[str, FeatureService]] = None,
                            at: Optional[TimeLike] = None,
                            full_feature_names: bool = False) -> OnlineResponse:
        """``FeatureStore.get_online_features`` through POST /get-online-features: the
        latest materialized features of `entity_rows` (a list of dicts of join key -> value,
        a DataFrame or a dict of lists), None when missing or older than the view's ttl at
        `at` (default: the server's now). Values of on-demand request fields ride in the same
        dicts, beside the join keys (``[{"customer_id": 42, "amount": 12.5}]``); they go to
        the server as ``request_data``. Returns an OnlineResponse equal to the one the
        server's store gives in process.

        Every entity row must carry the same fields (the request is column by column).
        Telling join keys from request fields needs the catalog (GET /features, read once):
        with a token that may not read it, on-demand features cannot be requested."""
        body: Dict[str, Any] = {}
        refs: Optional[List[str]] = None
        service_name: Optional[str] = None
        if service is not None:
            if features is not None:
                raise ValidationError("give features or service, not both")
            service_name = service.name if isinstance(service, FeatureService) else service
            body["feature_service"] = service_name
        elif features is None:
            raise ValidationError("give features=[\"view:feature\", ...] or service=...")
        else:
            refs = [r.strip() for ref in feature_refs(features) for r in ref.split(",")]
            body["features"] = refs
        rows = entity_rows if type(entity_rows) is list else _entity_rows(entity_rows)
        keys, on_demand = self._join_keys(refs, service_name)
        if rows:
            entities, requests = _columns(rows, keys if on_demand else None)
        elif keys:  # no entities: the server still checks the features
            entities, requests = {key: [] for key in sorted(keys)}, {}
        else:
            return OnlineResponse([])
        body["entities"] = entities
        if requests:
            body["request_data"] = requests
        if full_feature_names:
            body["full_feature_names"] = True
        if at is not None:
            body["at"] = _native.format_timestamp(to_micros(at, "at"))
        try:
            answer = self._json("POST", "/get-online-features", body, idempotent=True)
        except NotFoundError:
            self._forget_catalog()  # the server may have restarted with other definitions
            raise
        response = OnlineResponse(_rows(answer))
        response._request_id = answer.get("request_id")
        return response

    def push(self, source: Union[str, FileSource], data: Any,
             to: str = "online_and_offline") -> PushResult:
        """``FeatureStore.push`` through POST /push: the rows of `data` (a DataFrame, a
        pyarrow Table, a dict of lists) into `source`, then, unless ``to="offline"``, the
        refresh of the online views reading it. Returns the server's PushResult. The rows
        become the same events as in ``FeatureStore.push`` (one JSON object per row, the
        ``df`` of the body); what is done with them is the server's push (docs/serving.md).
        Not retried: a dropped connection raises ServerUnreachableError, and the push may or
        may not have happened."""
        name = source.name if isinstance(source, FileSource) else source
        _push.check_target(to)
        cols, _ = _push.columns(data, f"push to '{name}'")
        answer = self._json("POST", "/push", {"push_source_name": name, "to": to, "df": cols},
                            idempotent=False)
        return PushResult(answer["rows_written"], answer["rows_quarantined"],
                          answer["ingest_id"], tuple(answer.get("warnings", ())),
                          {m["view"]: m["keys_written"] for m in answer.get("materialized", ())})

    def health(self) -> Dict[str, Any]:
        """GET /health: ``{"status": "ok"}`` when the server's registry and online store are
        open, ``{"status": "unavailable", "error": ...}`` when not (HTTP 503). Needs no
        token. Raises ServerUnreachableError when nothing answers."""
        status, data = self._call("GET", "/health", None, idempotent=True)
        if status in (200, 503):
            return json.loads(data)
        raise self._error(status, data, "/health")

    def metrics(self) -> str:
        """GET /metrics: the Prometheus text (docs/serving.md lists the metrics)."""
        status, data = self._call("GET", "/metrics", None, idempotent=True)
        if status != 200:
            raise self._error(status, data, "/metrics")
        return data.decode("utf-8", "replace")

    def features(self) -> Dict[str, Any]:
        """GET /features: the catalog the server serves, applied objects by kind (feature
        views, feature services, sources, entities, on-demand feature views), each
        ``{"name", "version", "spec_hash", "applied_at", "spec"}``."""
        return self._json("GET", "/features", None, idempotent=True)

    # -- request fields -------------------------------------------------------------------

    def _forget_catalog(self) -> None:
        self._catalog = None
        self._keys.clear()

    def _join_keys(self, refs: Optional[List[str]],
                   service: Optional[str]) -> Tuple[Optional[Set[str]], bool]:
        """The join keys of the requested views (of the views on-demand views read), and
        whether an on-demand feature is requested (the other fields of the entity rows are
        then request data). (None, False) when the catalog does not know the names or may
        not be read: the server then answers what is wrong."""
        cache_key = (tuple(refs) if refs is not None else None, service)
        if cache_key in self._keys:
            return self._keys[cache_key]
        if self._catalog is None:
            try:
                self._catalog = self.features()
            except PermissionDeniedError:
                self._catalog = {}
        by_kind = {kind: {item["name"]: item.get("spec", {})
                          for item in self._catalog.get(kind, ())}
                   for kind in ("feature_views", "on_demand_feature_views", "feature_services",
                                "entities")}
        entities = by_kind["entities"]
        if service is not None:
            spec = by_kind["feature_services"].get(service)
            refs = list(spec.get("features", ())) if spec is not None else []
        on_demand = by_kind["on_demand_feature_views"]
        keys: Optional[Set[str]] = set()
        for view in [ref.split(":", 1)[0] for ref in refs or ()]:
            for name in on_demand[view].get("sources", ()) if view in on_demand else [view]:
                spec = by_kind["feature_views"].get(name)
                if spec is None:
                    keys = None
                    break
                for entity in spec.get("entities", ()):
                    keys.update(entities.get(entity, {}).get("join_keys", ()))
            if keys is None:
                break
        found = (keys or None, keys is not None and any(
            ref.split(":", 1)[0] in on_demand for ref in refs or ()))
        self._keys[cache_key] = found
        return found

    # -- HTTP -----------------------------------------------------------------------------

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connection(self) -> Tuple[http.client.HTTPConnection, bool]:
        """The kept-alive connection (and whether it served a request before), replaced when
        it sat idle long or the server has closed it (the socket reads as ready: EOF)."""
        conn = self._conn
        if conn is not None and conn.sock is not None:
            stale = time.monotonic() - self._last_used > _IDLE_SECONDS
            if not stale:
                try:
                    stale = bool(select.select([conn.sock], [], [], 0)[0])
                except (OSError, ValueError):
                    stale = True
            if stale:
                self._drop()
                conn = None
        if conn is None:
            cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            conn = self._conn = cls(self._host, self._port, timeout=self.timeout)
        return conn, conn.sock is not None

    def _call(self, method: str, path: str, body: Optional[Dict[str, Any]], *,
              idempotent: bool) -> Tuple[int, bytes]:
        payload = None
        headers = self._headers
        if body is not None:
            payload = json.dumps(body, ensure_ascii=False, allow_nan=False,
                                 separators=(",", ":")).encode("utf-8")
            headers = {**headers, "Content-Type": "application/json"}
        url = self.url + path
        with self._lock:
            for attempt in range(2):
                conn, reused = self._connection()
                try:
                    conn.request(method, self._prefix + path, body=payload, headers=headers)
                    response = conn.getresponse()
                    data = response.read()
                except ConnectionRefusedError:
                    self._drop()
                    raise ServerUnreachableError(
                        f"cannot connect to {self.url}: connection refused (is `featherstone "
                        f"serve` running there?)") from None
                except socket.timeout:
                    self._drop()
                    raise ServerUnreachableError(
                        f"{method} {url}: no answer within {self.timeout:g} s") from None
                except (ConnectionError, http.client.HTTPException) as e:
                    self._drop()
                    # A kept-alive connection the server closed under us: a read is safe to
                    # send again; a push may have been applied, so it is not.
                    if reused and idempotent and attempt == 0:
                        continue
                    raise ServerUnreachableError(
                        f"{method} {url}: the connection was dropped before an answer "
                        f"({type(e).__name__}: {e})" +
                        ("" if idempotent else "; the push may or may not have been applied")
                    ) from None
                except OSError as e:
                    self._drop()
                    raise ServerUnreachableError(
                        f"cannot connect to {self.url}: {e.strerror or e}") from None
                self._last_used = time.monotonic()
                if response.will_close:
                    self._drop()
                return response.status, data
        raise AssertionError("unreachable")

    def _json(self, method: str, path: str, body: Optional[Dict[str, Any]], *,
              idempotent: bool) -> Any:
        status, data = self._call(method, path, body, idempotent=idempotent)
        if status != 200:
            raise self._error(status, data, path)
        try:
            return json.loads(data)
        except ValueError:
            raise FeatherstoneError(f"{self.url}{path}: the answer is not JSON: "
                                    f"{data[:200].decode('utf-8', 'replace')}") from None

    def _error(self, status: int, data: bytes, path: str) -> FeatherstoneError:
        """The exception for an error answer: the server's ``error`` (and ``detail``) text
        in the class FeatureStore raises for the same condition."""
        message = None
        detail = None
        try:
            doc = json.loads(data)
            if isinstance(doc, dict):
                message, detail = doc.get("error"), doc.get("detail")
        except ValueError:
            pass
        if not isinstance(message, str):
            message = (f"{self.url}{path}: HTTP {status}: "
                       f"{data[:200].decode('utf-8', 'replace').strip()}")
        if detail:
            message += f": {detail if isinstance(detail, str) else json.dumps(detail)}"
        error = _ERRORS.get(status, FeatherstoneError)(message)
        error.http_status = status  # type: ignore[attr-defined]
        return error


def _value(value: Any, entity: int, field: str) -> Any:
    """An entity or request value as JSON that the server reads to the text
    ``FeatureStore.get_online_features`` gives the engine for it."""
    if isinstance(value, (str, bool, int)):
        return value
    if not isinstance(value, float) and hasattr(value, "__index__"):
        return operator.index(value)
    if isinstance(value, float):
        if math.isfinite(value) and value == math.floor(value) and abs(value) < 9.0e15:
            return int(value)
        return str(value)
    if value is None:
        raise ValidationError(f"entity row {entity + 1}: join key '{field}' is None")
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _columns(rows: List[Any], keys: Optional[Set[str]]
             ) -> Tuple[Dict[str, List[Any]], Dict[str, List[Any]]]:
    """Entity rows (dicts) as the server's column-major ``entities`` and ``request_data``:
    fields in `keys` (all of them when None) are join keys, the others request values."""
    fields: Dict[str, None] = {}
    for row in rows:
        if not isinstance(row, dict):
            raise TypeError("entity_rows must be a list of dicts (join key -> value)")
        for name in row:
            if not isinstance(name, str):
                raise TypeError("entity row keys must be strings")
            fields.setdefault(name)
    entities: Dict[str, List[Any]] = {}
    requests: Dict[str, List[Any]] = {}
    for name in fields:
        target = entities if keys is None or name in keys else requests
        values = target[name] = []
        for e, row in enumerate(rows):
            if name not in row:
                raise ValidationError(
                    f"entity {e + 1} lacks '{name}', which other entity rows have; over HTTP "
                    "every entity row needs the same fields")
            values.append(_value(row[name], e, name))
    return entities, requests


def _rows(answer: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The Feast-shaped answer (one result per column) as one dict per entity."""
    names = answer["metadata"]["feature_names"]
    columns = [result["values"] for result in answer["results"]]
    count = len(columns[0]) if columns else 0
    return [{name: column[i] for name, column in zip(names, columns)} for i in range(count)]
