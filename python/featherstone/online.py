"""The result of ``FeatureStore.get_online_features``."""

from __future__ import annotations

from typing import Any, Dict, Iterator, List, Mapping, Optional

__all__ = ["OnlineResponse"]


class OnlineResponse(Mapping[str, List[Any]]):
    """Online features of a list of entities.

    It is a mapping of column name to a list of values, one per entity row, in request
    order: the join keys, then the features (``None`` when missing or older than the view's
    ttl). ``rows`` holds the same as one dict per entity -- exactly the JSON array that
    ``featherstone online`` prints.

    >>> resp = fs.get_online_features(["customer_features:amount"], [{"customer_id": 42}])
    >>> resp["amount"]            # [12.5]
    >>> resp.to_dict()            # {"customer_id": [42], "amount": [12.5]}
    >>> resp.to_pandas()          # one row per entity
    """

    __slots__ = ("rows", "_columns", "_request_id")

    def __init__(self, rows: List[Dict[str, Any]]) -> None:
        # The engine makes responses with __new__ and sets `rows` alone (no __init__ on the
        # lookup path); `_columns` is filled on first use.
        self.rows: List[Dict[str, Any]] = rows

    @property
    def request_id(self) -> Optional[str]:
        """The server's id of this response (``featherstone.Client``; the key of
        ``reproduce`` and of outcomes joined by request id); None in process."""
        return getattr(self, "_request_id", None)

    def _table(self) -> Dict[str, List[Any]]:
        try:
            return self._columns
        except AttributeError:
            names: Dict[str, None] = {}
            for row in self.rows:
                for name in row:
                    names.setdefault(name)
            self._columns = {n: [row.get(n) for row in self.rows] for n in names}
            return self._columns

    def __getitem__(self, name: str) -> List[Any]:
        return self._table()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())

    def to_dict(self) -> Dict[str, List[Any]]:
        """Column name -> list of values (a new dict)."""
        return {k: list(v) for k, v in self._table().items()}

    def to_rows(self) -> List[Dict[str, Any]]:
        """One dict per entity (join keys, then features): the CLI's JSON."""
        return [dict(r) for r in self.rows]

    def to_pandas(self) -> Any:
        """A pandas DataFrame, one row per entity."""
        import pandas as pd

        return pd.DataFrame(self._table(), columns=list(self._table()))

    def to_arrow(self) -> Any:
        """A pyarrow Table, one row per entity."""
        import pyarrow as pa

        return pa.table(self._table())

    def __repr__(self) -> str:
        return f"OnlineResponse({self.rows!r})"
