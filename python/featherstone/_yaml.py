"""The canonical YAML of DESIGN section 2 for definitions made in Python, with a map from
each generated line back to the Python line that made it (for error messages)."""

from __future__ import annotations

import json
import re
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from .definitions import (Column, Entity, Feature, FeatureService, FeatureView, FileSource,
                          OnDemandFeatureView, Origin)

#: The file name the engine sees for Python definitions; errors naming it are rewritten.
PYTHON_FILE = "<python>"

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_.<>/-]*\Z")
_REF = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*:[A-Za-z_][A-Za-z0-9_-]*\Z")  # view:feature
_DURATION = re.compile(r"[0-9]+[smhdw]?\Z")
_RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


def scalar(text: str) -> str:
    """A YAML scalar reading back as exactly `text`."""
    if (_PLAIN.match(text) or _DURATION.match(text)) and text.lower() not in _RESERVED:
        return text
    return json.dumps(text, ensure_ascii=False)


def _flow_list(items: Iterable[str]) -> str:
    return "[" + ", ".join(i if _REF.match(i) else scalar(i) for i in items) + "]"


class _Writer:
    def __init__(self) -> None:
        self.lines: List[str] = []
        self.origins: Dict[int, Optional[Origin]] = {}

    def add(self, text: str, origin: Optional[Origin]) -> None:
        self.lines.append(text)
        self.origins[len(self.lines)] = origin  # 1-based, as the engine reports lines

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _feature(f: Feature) -> str:
    parts = [f"name: {scalar(f.name)}"]
    if f.kind == "passthrough":
        if f.column and f.column != f.name:
            parts.append(f"column: {scalar(f.column)}")
    elif f.kind == "expression":
        parts.append(f"expr: {scalar(f.expr)}")
    elif f.kind == "aggregation":
        parts.append(f"agg: {scalar(f.agg)}")
        if f.column:
            parts.append(f"column: {scalar(f.column)}")
        parts.append(f"window: {scalar(f.window)}")
    if f.description:
        parts.append(f"description: {scalar(f.description)}")
    return "{" + ", ".join(parts) + "}"


def _catalog(w: "_Writer", obj: Any, origin: Optional[Origin]) -> None:
    """The description, owner, tags and labels of an object, those that are set."""
    if obj.description:
        w.add(f"    description: {scalar(obj.description)}", origin)
    if obj.owner:
        w.add(f"    owner: {scalar(obj.owner)}", origin)
    if obj.tags:
        w.add(f"    tags: {_flow_list(obj.tags)}", origin)
    if obj.labels:
        items = ", ".join(f"{scalar(k)}: {scalar(v)}" for k, v in obj.labels.items())
        w.add(f"    labels: {{{items}}}", origin)


def _column(c: Column) -> str:
    parts = [f"name: {scalar(c.name)}", f"type: {scalar(c.type)}"]
    if not c.nullable:
        parts.append("nullable: false")
    if c.path:
        parts.append(f"path: {scalar(c.path)}")
    if c.dim:
        parts.append(f"dim: {c.dim}")
    return "{" + ", ".join(parts) + "}"


def render(project: str, entities: Sequence[Entity], sources: Sequence[FileSource],
           views: Sequence[FeatureView], services: Sequence[FeatureService],
           header: Sequence[str] = (),
           on_demand_views: Sequence[OnDemandFeatureView] = ()
           ) -> Tuple[str, Dict[int, Optional[Origin]]]:
    """(YAML text, line -> origin)."""
    w = _Writer()
    for comment in header:
        w.add(f"# {comment}" if comment else "#", None)
    w.add(f"project: {scalar(project)}", None)
    if entities:
        w.add("entities:", None)
        for e in entities:
            w.add(f"  - name: {scalar(e.name)}", e.origin)
            w.add(f"    join_keys: {_flow_list(e.join_keys)}", e.origin)
            _catalog(w, e, e.origin)
    if sources:
        w.add("sources:", None)
        for s in sources:
            w.add(f"  - name: {scalar(s.name)}", s.origin)
            w.add(f"    kind: {scalar(s.kind)}", s.origin)
            if s.format:
                w.add(f"    format: {scalar(s.format)}", s.origin)
            w.add(f"    timestamp_field: {scalar(s.timestamp_field)}", s.origin)
            if s.created_timestamp_field:
                w.add(f"    created_timestamp_field: {scalar(s.created_timestamp_field)}",
                      s.origin)
            w.add("    schema:", s.origin)
            for c in s.schema:
                w.add(f"      - {_column(c)}", s.origin)
            _catalog(w, s, s.origin)
            if getattr(s, "contract", None):
                # JSON is YAML: one flow mapping, in the shape of the YAML 'contract:'.
                w.add(f"    contract: {json.dumps(s.contract, ensure_ascii=False)}", s.origin)
    if views:
        w.add("feature_views:", None)
        for v in views:
            w.add(f"  - name: {scalar(v.name)}", v.origin)
            w.add(f"    entities: {_flow_list(v.entity_names)}", v.origin)
            w.add(f"    source: {scalar(v.source_name)}", v.origin)
            w.add(f"    ttl: {scalar(v.ttl)}", v.origin)
            w.add(f"    online: {'true' if v.online else 'false'}", v.origin)
            w.add("    features:", v.origin)
            for f in v.features:
                w.add(f"      - {_feature(f)}", f.origin or v.origin)
            _catalog(w, v, v.origin)
    if on_demand_views:
        w.add("on_demand_feature_views:", None)
        for v in on_demand_views:
            w.add(f"  - name: {scalar(v.name)}", v.origin)
            w.add("    request_schema:", v.origin)
            for c in v.request_schema:
                w.add(f"      - {_column(c)}", v.origin)
            w.add(f"    sources: {_flow_list(v.source_names)}", v.origin)
            w.add("    features:", v.origin)
            for f in v.features:
                w.add(f"      - {_feature(f)}", f.origin or v.origin)
            _catalog(w, v, v.origin)
    if services:
        w.add("feature_services:", None)
        for s in services:
            w.add(f"  - name: {scalar(s.name)}", s.origin)
            w.add(f"    features: {_flow_list(s.features)}", s.origin)
            _catalog(w, s, s.origin)
    return w.text(), w.origins


_LOCATION = re.compile(re.escape(PYTHON_FILE) + r"(?::(\d+)(?::\d+)?)?(: ?)?")


def rewrite_locations(message: str, origins: Dict[int, Optional[Origin]]) -> str:
    """Replaces the engine's `<python>:line:column` locations with the Python file:line of the
    definition that produced the line."""

    def replace(m: "re.Match[str]") -> str:
        line = int(m.group(1)) if m.group(1) else 0
        origin = origins.get(line)
        where = str(origin) if origin else "Python definitions"
        return where + (m.group(2) or "")

    return _LOCATION.sub(replace, message)
