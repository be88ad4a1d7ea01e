"""Entity rows generated instead of handed in: training sets without an entity file."""

from __future__ import annotations

from typing import Optional, Union

from ._time import DurationLike, TimeLike, duration_text, from_micros, to_micros
from .definitions import Entity, FileSource


class Spine:
    """Where a training set's entity rows come from when there is no entity DataFrame; pass
    it as ``fs.get_historical_features(spine=...)``. Make one with ``Spine.every`` or
    ``Spine.from_source``. The engine generates the rows and computes them a chunk at a time,
    as ``featherstone historical --spine`` / ``--spine-source`` do, with the same errors.

    >>> fst.Spine.every("1d", "customer", start="2026-01-01", end="2026-03-31")
    Spine('every 1d from 2026-01-01T00:00:00.000000Z to 2026-03-31T00:00:00.000000Z for all customer')
    """

    def __init__(self, text: str = "", source: str = "", at: str = "") -> None:
        self.text = text
        self.source = source
        self.at = at

    @staticmethod
    def every(step: DurationLike, entity: Union[str, Entity], *,
              start: Optional[TimeLike] = None, end: Optional[TimeLike] = None) -> "Spine":
        """Every key of `entity` found in the offline data of the requested views keyed by it
        alone, at start, start + step, ... up to end inclusive; start and end default to the
        earliest and latest event time of that data. Rows come key by key in ascending key
        order, times ascending within a key."""
        name = entity.name if isinstance(entity, Entity) else entity
        text = f"every {duration_text(step, 'step')}"
        for word, value in (("from", start), ("to", end)):
            if value is not None:
                micros = to_micros(value, "start" if word == "from" else "end")
                text += f" {word} {from_micros(micros).strftime('%Y-%m-%dT%H:%M:%S.%fZ')}"
        return Spine(text=f"{text} for all {name}")

    @staticmethod
    def from_source(source: Union[str, FileSource], at: str = "") -> "Spine":
        """One row per stored row of `source`: the requested views' join keys and its time
        column `at` (default: the source's timestamp field). Rows whose time is null are left
        out."""
        name = source.name if isinstance(source, FileSource) else source
        return Spine(source=name, at=at)

    def __repr__(self) -> str:
        if self.text:
            return f"Spine({self.text!r})"
        return f"Spine.from_source({self.source!r}, at={self.at!r})"
