"""`featherstone serve --grpc-port 0` end to end: the repo and data of test_serve, called from
Python with grpcio through stubs generated from the repo's .proto at test time, and compared
with the same requests to HTTP /get-online-features of the same server.
"""
import datetime as dt
import importlib
import importlib.resources
import socket
import sys

import pyarrow.parquet as pq
import pytest

import fst
from test_serve import ENTITIES, FEATURES, Server, days_ago, repo  # noqa: F401  (repo: a fixture)

grpc = pytest.importorskip("grpc", reason="scripts/setup installs grpcio")
protoc = pytest.importorskip("grpc_tools.protoc", reason="scripts/setup installs grpcio-tools")

PROTO_DIR = fst.REPO_ROOT / "src" / "serving" / "proto" / "featherstone" / "serving" / "v1"


@pytest.fixture(scope="module")
def pb(tmp_path_factory):
    """The modules serving_pb2 and serving_pb2_grpc, generated from serving.proto."""
    out = tmp_path_factory.mktemp("grpc_stubs")
    well_known = importlib.resources.files("grpc_tools") / "_proto"
    rc = protoc.main(["grpc_tools.protoc", f"-I{PROTO_DIR}", f"-I{well_known}",
                      f"--python_out={out}", f"--grpc_python_out={out}", "serving.proto"])
    assert rc == 0, "grpc_tools.protoc failed on serving.proto"
    sys.path.insert(0, str(out))
    try:
        messages = importlib.import_module("serving_pb2")
        services = importlib.import_module("serving_pb2_grpc")
    finally:
        sys.path.remove(str(out))
    return messages, services


class GrpcServer(Server):
    """`featherstone serve --port 0 --grpc-port 0` and a stub on its gRPC port."""

    def __init__(self, repo, pb, extra=()):
        super().__init__(repo, ["--grpc-port", "0", *extra])
        assert self.grpc_port, "".join(self.stderr)
        self.pb = pb  # (serving_pb2, serving_pb2_grpc)
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.grpc_port}")
        self.stub = pb[1].FeatureServingStub(self.channel)

    def stop(self):
        self.channel.close()
        return super().stop()


@pytest.fixture
def server(repo, pb):  # noqa: F811
    s = GrpcServer(repo[0], pb)
    yield s
    s.stop()


def value(pb, v):
    """A Python value as a typed Value."""
    m = pb[0].Value()
    if v is None:
        m.null_val = pb[0].NULL
    elif isinstance(v, bool):
        m.bool_val = v
    elif isinstance(v, int):
        m.int64_val = v
    elif isinstance(v, float):
        m.double_val = v
    else:
        m.string_val = v
    return m


def columns(pb, field, cols):
    for name, values in cols.items():
        field[name].val.extend(value(pb, v) for v in values)


def lookup_request(pb, body):
    """The GetOnlineFeaturesRequest of a JSON body of /get-online-features."""
    r = pb[0].GetOnlineFeaturesRequest()
    if "feature_service" in body:
        r.feature_service = body["feature_service"]
    if "features" in body:
        r.features.val.extend(body["features"])
    columns(pb, r.entities, body.get("entities", {}))
    columns(pb, r.request_data, body.get("request_data", {}))
    r.full_feature_names = body.get("full_feature_names", False)
    r.at = body.get("at", "")
    return r


def as_json(pb, response):
    """A GetOnlineFeaturesResponse in the JSON API's shape (without request_id)."""
    def plain(v):
        kind = v.WhichOneof("val")
        if kind in (None, "null_val"):
            return None
        if kind == "float_list_val" or kind == "string_list_val":
            return list(getattr(v, kind).val)
        return getattr(v, kind)

    def iso(t):
        d = dt.datetime.fromtimestamp(t.seconds, dt.timezone.utc) + \
            dt.timedelta(microseconds=t.nanos // 1000)
        return fst.iso(d)

    return {"metadata": {"feature_names": list(response.metadata.feature_names.val)},
            "results": [{"values": [plain(v) for v in r.values],
                         "statuses": [pb[0].FieldStatus.Name(s) for s in r.statuses],
                         "event_timestamps": [iso(t) for t in r.event_timestamps]}
                        for r in response.results]}


def both(server, body, metadata=()):
    """The gRPC answer (as JSON) and HTTP's (without request_id) to the same lookup."""
    response = server.stub.GetOnlineFeatures(lookup_request(server.pb, body), metadata=metadata)
    status, out = server.post("/get-online-features", body)
    assert status == 200, out
    assert len(response.request_id) == 21 and response.request_id != out.pop("request_id")
    return as_json(server.pb, response), out


def test_lookups_equal_http(server):
    at = fst.iso(dt.datetime.now(dt.timezone.utc).replace(microsecond=0))
    for body in [
        {"features": FEATURES, "entities": {"customer_id": ENTITIES}},
        {"feature_service": "churn_model", "entities": {"customer_id": ENTITIES},
         "full_feature_names": True},
        {"features": ["transaction_features:amount_vs_last"],
         "entities": {"customer_id": [1, 2]}, "request_data": {"amount": [40.0]}},
    ]:
        body["at"] = at
        got, want = both(server, body)
        assert got == want
    # The values themselves, typed: test_serve's data.
    got, _ = both(server, {"features": FEATURES, "entities": {"customer_id": ENTITIES}})
    keys, amount, order_id, count = got["results"]
    assert keys["values"] == ENTITIES
    assert amount["values"] == [20.0, 7.5, None, None]
    assert amount["statuses"] == ["PRESENT", "PRESENT", "OUTSIDE_MAX_AGE", "NOT_FOUND"]
    assert amount["event_timestamps"][0] == days_ago(1)
    assert count["values"][:3] == [2, 1, 0]


def test_errors_carry_https_message_and_map_to_codes(server):
    cases = [
        ({"feature_service": "churn_mdl", "entities": {"customer_id": [1]}},
         grpc.StatusCode.NOT_FOUND, 404),
        ({"features": ["customer_features:amout"], "entities": {"customer_id": [1]}},
         grpc.StatusCode.NOT_FOUND, 404),
        ({"features": FEATURES, "entities": {"customer_id": ["abc"]}},
         grpc.StatusCode.INVALID_ARGUMENT, 400),
        ({"features": FEATURES, "entities": {"customer_id": [1, None]}},
         grpc.StatusCode.INVALID_ARGUMENT, 400),
        ({"features": FEATURES}, grpc.StatusCode.INVALID_ARGUMENT, 400),
    ]
    for body, code, http_status in cases:
        with pytest.raises(grpc.RpcError) as e:
            server.stub.GetOnlineFeatures(lookup_request(server.pb, body))
        status, out = server.post("/get-online-features", body)
        assert (e.value.code(), e.value.details()) == (code, out["error"]), body
        assert status == http_status
    health = server.stub.Health(server.pb[0].HealthRequest())
    assert health.status == server.pb[0].HealthResponse.SERVING


def test_push_then_lookup_and_metrics(server):
    pb = server.pb
    push = pb[0].PushRequest(push_source_name="payments", to="online_and_offline")
    columns(pb, push.df, {"customer_id": [70], "amount": [12.5],
                          "event_ts": [days_ago(0, hours=1)]})
    out = server.stub.Push(push)
    assert (out.rows_written, out.rows_quarantined) == (1, 0) and out.ingest_id > 0
    assert [(m.view, m.keys_written) for m in out.materialized] == [("payment_features", 1)]
    got, want = both(server, {"features": ["payment_features:last_payment"],
                              "entities": {"customer_id": [70]}})
    assert got == want and got["results"][1]["values"] == [12.5]
    # The contract applies as to HTTP's /push: every row quarantined is a verdict (422).
    bad = pb[0].PushRequest(push_source_name="payments")
    columns(pb, bad.df, {"customer_id": [71], "amount": [5000.0],
                         "event_ts": [days_ago(0, hours=1)]})
    with pytest.raises(grpc.RpcError) as e:
        server.stub.Push(bad)
    assert e.value.code() == grpc.StatusCode.FAILED_PRECONDITION, e.value.details()
    status, text = server.get("/metrics")
    assert status == 200
    lines = set(text.splitlines())
    for line in ['fst_grpc_requests_total{method="Push",code="OK"} 1',
                 'fst_grpc_requests_total{method="Push",code="FAILED_PRECONDITION"} 1',
                 'fst_grpc_requests_total{method="GetOnlineFeatures",code="OK"} 1',
                 'fst_grpc_request_duration_seconds_count{method="GetOnlineFeatures"} 1',
                 'fst_http_requests_total{endpoint="/get-online-features",code="200"} 1']:
        assert line in lines, f"{line!r} not in:\n{text}"


def test_auth_on_grpc(repo, pb, tmp_path):  # noqa: F811
    path = tmp_path / "tokens.yaml"
    token = fst.run(["token", "new", "--auth", path, "--name", "svc",
                     "--scope", "read:service/churn_model"]).stdout.strip()
    s = GrpcServer(repo[0], pb, ["--auth", path, "--no-feature-log"])
    try:
        by_service = {"feature_service": "churn_model", "entities": {"customer_id": [1]}}
        by_features = {"features": FEATURES, "entities": {"customer_id": [1]}}
        for body, metadata, code in [
            (by_service, (), grpc.StatusCode.UNAUTHENTICATED),
            (by_service, (("authorization", "Bearer fst_nope"),), grpc.StatusCode.UNAUTHENTICATED),
            (by_features, (("authorization", f"Bearer {token}"),),
             grpc.StatusCode.PERMISSION_DENIED),
        ]:
            with pytest.raises(grpc.RpcError) as e:
                s.stub.GetOnlineFeatures(lookup_request(pb, body), metadata=metadata)
            http_token = metadata[0][1].split()[1] if metadata else None
            status, out = s.post("/get-online-features", body, token=http_token)
            assert (e.value.code(), e.value.details()) == (code, out["error"])
        response = s.stub.GetOnlineFeatures(lookup_request(pb, by_service),
                                            metadata=(("authorization", f"Bearer {token}"),))
        assert list(response.metadata.feature_names.val) == ["customer_id", "amount", "order_id"]
        # Health needs no token, as GET /health.
        assert s.stub.Health(pb[0].HealthRequest()).status == pb[0].HealthResponse.SERVING
    finally:
        assert s.stop() == 0


def test_sigterm_stops_both_and_grpc_lookups_are_logged(repo, pb):  # noqa: F811
    s = GrpcServer(repo[0], pb)
    by_service = s.stub.GetOnlineFeatures(lookup_request(
        pb, {"feature_service": "churn_model", "entities": {"customer_id": [2]}}))
    assert s.stop() == 0, "SIGTERM drains both transports and exits 0"
    with grpc.insecure_channel(f"127.0.0.1:{s.grpc_port}") as channel:
        with pytest.raises(grpc.RpcError) as e:
            pb[1].FeatureServingStub(channel).Health(pb[0].HealthRequest(), timeout=2)
    assert e.value.code() == grpc.StatusCode.UNAVAILABLE
    # Logged as an HTTP lookup is: published into churn_model__log at stop.
    rows = [row for path in (repo[0] / ".featherstone" / "offline" / "churn_model__log")
            .glob("*.parquet") for row in pq.read_table(path).to_pylist()
            if row["request_id"] == by_service.request_id]
    assert [(r["customer_id"], r["customer_features__amount"]) for r in rows] == [(2, 7.5)]


def test_a_taken_grpc_port_is_an_error(repo):  # noqa: F811
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        p = fst.run(["serve", "--port", "0", "--grpc-port", str(port), "--no-feature-log"],
                    repo[0], ok=1)
    assert p.stderr.splitlines()[-1] == (f"error: cannot serve gRPC on 127.0.0.1:{port}: the "
                                         "address is in use, not local, or not allowed"), p.stderr
    # The bind policy covers the gRPC port: no non-loopback address without --auth.
    p = fst.run(["serve", "--host", "0.0.0.0", "--grpc-port", "0"], repo[0], ok=1)
    assert "--insecure" in p.stderr
