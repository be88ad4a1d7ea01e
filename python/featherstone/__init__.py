"""Featherstone: a feature store with a C++ engine. This package is its Python SDK.

    import featherstone as fst
    fs = fst.FeatureStore("shop")
    customer = fst.Entity("customer", join_keys=["customer_id"])

    @fs.feature_view(name="customer_features", entities=[customer], source="orders",
                     ttl="30d", online=True)
    def customer_features(o):
        return {
            "amount": o.amount,                                   # passthrough
            "purchase_frequency_30d": fst.count(o.order_id, window="30d"),
            "average_order_value": fst.avg(o.amount, window="365d"),
            "churn_risk_score": fst.expr("1/(1+exp(0.9*purchase_frequency_30d - 0.5))"),
        }

    fs.apply()
    train = fs.get_historical_features(entity_df, features=["customer_features:amount"])
    fs.get_online_features(["customer_features:amount"], [{"customer_id": 42}]).to_dict()

    fs.push("orders", new_orders_df)                          # rows in, online refreshed

    client = fst.Client("http://127.0.0.1:6566")              # the same calls, over HTTP
    client.get_online_features(["customer_features:amount"], [{"customer_id": 42}])

See docs/python.md, and help(featherstone.FeatureStore), help(featherstone.Client).
"""

# pyarrow first: the extension links the libarrow of the pyarrow wheel, which must be the one
# loaded in this process.
import pyarrow as _pyarrow  # noqa: F401
# Python's OpenSSL module before the extension: the wheel's libparquet exports OpenSSL symbols
# of its own copy, and the system libcrypto the extension loads (through libpq and librdkafka)
# would bind its internal calls to them if it were first loaded in the extension's library
# group; `import hashlib` after that (pandas, hmac) then crashed. Loaded here first, libcrypto
# resolves in _hashlib's group, where only its own symbols are.
import _hashlib  # noqa: F401

from . import _errors  # noqa: F401  (the extension looks its exception classes up here)
from ._errors import (DefinitionError, FeatherstoneError, NotFoundError, NotSupportedError,
                      PermissionDeniedError, ServerUnreachableError, ValidationError)
from . import _featherstone  # noqa: F401
from .definitions import (Aggregation, Column, ColumnRef, Columns, Entity, Expr, Feature,
                          FeatureService, FeatureView, FileSource, OnDemandFeatureView, avg,
                          col, count,
                          count_distinct, days_since, expr, first, last, max, min, stddev, sum)
from .online import OnlineResponse
from .spine import Spine
from .store import (Change, FeatureStore, IngestResult, Plan, PushResult, RegistryObject,
                    SpecObject)
from .client import Client

__version__ = "0.1.0"

__all__ = [
    "FeatureStore", "Client", "Entity", "FileSource", "Column", "FeatureView", "OnDemandFeatureView",
    "FeatureService",
    "Feature", "Expr", "ColumnRef", "Columns", "Aggregation",
    "col", "expr", "days_since",
    "count", "sum", "avg", "min", "max", "stddev", "last", "first", "count_distinct",
    "OnlineResponse", "Spine", "Change", "Plan", "SpecObject", "RegistryObject", "IngestResult",
    "PushResult",
    "FeatherstoneError", "DefinitionError", "ValidationError", "NotFoundError",
    "NotSupportedError", "PermissionDeniedError", "ServerUnreachableError",
]
