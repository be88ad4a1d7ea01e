"""Exceptions raised by the SDK. Each carries the engine's message unchanged (plus, for
definitions made in Python, the file:line of the Python code that made them). ``Client``
raises the same classes for the same conditions, with the server's message, and sets
``http_status`` on them."""

from __future__ import annotations

__all__ = [
    "FeatherstoneError",
    "DefinitionError",
    "ValidationError",
    "NotFoundError",
    "NotSupportedError",
    "PermissionDeniedError",
    "ServerUnreachableError",
]


class FeatherstoneError(Exception):
    """Base class of every error the SDK raises (I/O, storage, closed store, ...)."""


class DefinitionError(FeatherstoneError, ValueError):
    """A definition is wrong: YAML syntax, unknown key, bad type or duration, dangling
    reference, duplicate name. The message names the place: ``featherstone.yaml:12:7: ...``
    for YAML, ``path/to/script.py:42: ...`` for definitions made in Python; several problems
    are reported one per line."""


class ValidationError(FeatherstoneError, ValueError):
    """Data was refused: a row that does not fit the source's schema on ingest (the message
    names file, row, column and value), or entity rows lacking a join key or timestamp."""


class NotFoundError(FeatherstoneError, KeyError):
    """An unknown source, feature view, feature, feature service or object name."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class NotSupportedError(FeatherstoneError, NotImplementedError):
    """The engine does not implement this (yet)."""


class PermissionDeniedError(FeatherstoneError, PermissionError):
    """The server refused the request's credentials (``Client``): HTTP 401 without a bearer
    token, 403 with one not in the server's token file."""


class ServerUnreachableError(FeatherstoneError, ConnectionError):
    """``Client`` could not talk to the server: connection refused, timed out or dropped.
    The message names the URL."""
