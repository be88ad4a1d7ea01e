"""`featherstone serve --auth tokens.yaml` end to end: tokens made with `featherstone token new`,
then every endpoint asked with no token, an unknown token, a token without the scope, the
right scope and admin. The repo and its data are test_serve's.
"""
import re

import pytest

import fst
from test_serve import FEATURES, Server, days_ago, repo  # noqa: F401  (repo: a fixture)

# name -> scopes (and --project); each token is made by `featherstone token new`.
TOKENS = {
    "svc": ["read:service/churn_model"],
    "views": ["read:view/customer_features"],
    "all-views": ["read:view/*"],
    "pusher": ["push:source/payments"],
    "scraper": ["metrics"],
    "browser": ["catalog"],
    "ops": ["admin"],
    "other-project": ["admin", "--project", "bank"],
    "this-project": ["read:service/*", "--project", "shop"],
}

ENTITIES = {"customer_id": [1, 2]}

# endpoint -> (method, path, body, the token with just the scope, the scope it needs)
CASES = {
    "lookup by service": ("POST", "/get-online-features",
                          {"feature_service": "churn_model", "entities": ENTITIES},
                          "svc", "read:service/churn_model"),
    "lookup by features": ("POST", "/get-online-features",
                           {"features": FEATURES, "entities": ENTITIES},
                           "views", "read:view/customer_features"),
    "push": ("POST", "/push", {"source": "payments", "to": "offline", "df": {
                 "customer_id": [60], "amount": [1.5], "event_ts": [days_ago(0, hours=2)]}},
             "pusher", "push:source/payments"),
    "metrics": ("GET", "/metrics", None, "scraper", "metrics"),
    "catalog": ("GET", "/features", None, "browser", "catalog"),
}

# Tokens other than the one with just the scope and admin that are allowed too.
GRANTED_TOO = {"lookup by service": {"this-project"}, "lookup by features": {"all-views"}}


def new_token(auth, name, args):
    scopes, extra = [], []
    it = iter(args)
    for a in it:
        if a == "--project":
            extra += ["--project", next(it)]
        else:
            scopes += ["--scope", a]
    p = fst.run(["token", "new", "--auth", auth, "--name", name, *scopes, *extra])
    token = p.stdout.strip()
    assert re.fullmatch(r"fst_[0-9a-f]{64}", token), p.stdout
    assert token not in p.stderr and name in p.stderr
    return token


@pytest.fixture(scope="module")
def auth(repo, tmp_path_factory):  # noqa: F811
    """A server with --auth over tokens made by `token new`, and those tokens by name."""
    path = tmp_path_factory.mktemp("auth") / "tokens.yaml"
    tokens = {name: new_token(path, name, args) for name, args in TOKENS.items()}
    text = path.read_text()
    assert not any(t in text for t in tokens.values()), "the file keeps hashes only"
    s = Server(repo[0], ["--auth", path, "--no-feature-log"])
    yield s, tokens, path
    s.stop()


def call(server, case, token):
    method, path, body, _, _ = CASES[case]
    return server.request(method, path, body, token=token)


@pytest.mark.parametrize("case", CASES)
def test_no_token_is_401(auth, case):
    status, out = call(auth[0], case, None)
    assert status == 401, out
    assert "missing bearer token" in out["error"]


@pytest.mark.parametrize("case", CASES)
def test_unknown_token_is_401(auth, case):
    unknown = "fst_" + "0" * 64
    status, out = call(auth[0], case, unknown)
    assert status == 401, out
    assert out["error"] == "unknown bearer token"


@pytest.mark.parametrize("case", CASES)
def test_token_without_the_scope_is_403_naming_it(auth, case):
    server, tokens, _ = auth
    _, _, _, right, scope = CASES[case]
    allowed = {right, "ops"} | GRANTED_TOO.get(case, set())
    for name in tokens.keys() - allowed - {"other-project"}:
        status, out = call(server, case, tokens[name])
        assert status == 403, (name, out)
        assert out["error"] == f"token '{name}' needs {scope}", out


@pytest.mark.parametrize("case", CASES)
def test_right_scope_and_admin_are_allowed(auth, case):
    server, tokens, _ = auth
    for name in {CASES[case][3], "ops"} | GRANTED_TOO.get(case, set()):
        status, out = call(server, case, tokens[name])
        assert status == 200, (name, out)


def test_health_is_always_open(auth):
    server, tokens, _ = auth
    for token in [None, "fst_" + "1" * 64, tokens["svc"], tokens["ops"]]:
        assert server.get("/health", token=token) == (200, {"status": "ok"})


def test_wildcards_and_what_a_service_scope_does_not_grant(auth):
    server, tokens, _ = auth
    by_view = {"features": FEATURES, "entities": ENTITIES}
    # A service scope reads that service only, never its views by feature list.
    status, out = server.post("/get-online-features", by_view, token=tokens["svc"])
    assert status == 403 and out["error"] == "token 'svc' needs read:view/customer_features"
    # Every view a feature list names needs read.
    two_views = {"features": FEATURES + ["payment_features:last_payment"], "entities": ENTITIES}
    status, out = server.post("/get-online-features", two_views, token=tokens["views"])
    assert status == 403 and out["error"] == "token 'views' needs read:view/payment_features"
    assert server.post("/get-online-features", two_views, token=tokens["all-views"])[0] == 200
    # A push scope is per source.
    status, out = server.post("/push", {"source": "orders", "df": {"customer_id": [1]}},
                              token=tokens["pusher"])
    assert status == 403 and out["error"] == "token 'pusher' needs push:source/orders"
    # Scopes are checked before the names are: an unknown service is 403, not 404.
    body = {"feature_service": "fraud_model", "entities": ENTITIES}
    status, out = server.post("/get-online-features", body, token=tokens["svc"])
    assert status == 403 and out["error"] == "token 'svc' needs read:service/fraud_model"
    status, out = server.post("/get-online-features", body, token=tokens["this-project"])
    assert status == 404 and "unknown feature service 'fraud_model'" in out["error"]


def test_a_token_for_another_project_is_403(auth):
    server, tokens, _ = auth
    body = {"feature_service": "churn_model", "entities": ENTITIES}
    status, out = server.post("/get-online-features", body, token=tokens["other-project"])
    assert status == 403
    assert out["error"] == ("token 'other-project' is for project 'bank'; this server serves "
                            "project 'shop'")
    assert server.post("/get-online-features", body, token=tokens["this-project"])[0] == 200


def test_denials_are_counted_in_metrics(auth):
    server, tokens, _ = auth
    server.get("/features")
    server.get("/features", token=tokens["svc"])
    status, text = server.get("/metrics", token=tokens["scraper"])
    assert status == 200
    lines = text.splitlines()
    assert any(line.startswith('fst_http_requests_total{endpoint="/features",code="401"} ')
               for line in lines), text
    assert any(line.startswith('fst_http_requests_total{endpoint="/features",code="403"} ')
               for line in lines), text
    forbidden = [line for line in lines if line.startswith(
        'fst_auth_token_requests_total{token="svc",outcome="forbidden"} ')]
    assert len(forbidden) == 1 and int(forbidden[0].split()[-1]) >= 1
    assert not any(t in text for t in tokens.values())


def test_token_list_shows_names_and_scopes_only(auth):
    _, tokens, path = auth
    out = fst.run(["token", "list", "--auth", path]).stdout
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "PROJECT", "SCOPES"]
    assert lines[1].split() == ["svc", "*", "read:service/churn_model"]
    assert lines[-1].split() == ["this-project", "shop", "read:service/*"]
    assert not any(t in out for t in tokens.values())


def test_token_new_refuses_a_taken_name_and_a_bad_scope(auth):
    path = auth[2]
    before = path.read_text()
    p = fst.run(["token", "new", "--auth", path, "--name", "svc", "--scope", "metrics"], ok=1)
    assert "already has a token named 'svc'" in p.stderr and p.stdout == ""
    p = fst.run(["token", "new", "--auth", path, "--name", "x", "--scope", "read:services/a"],
                ok=1)
    assert "unknown scope 'read:services/a'" in p.stderr and p.stdout == ""
    assert path.read_text() == before


def test_the_server_never_prints_a_token(auth):
    server, tokens, _ = auth
    assert server.stop() == 0
    stderr = "".join(server.stderr)
    assert not any(t in stderr for t in tokens.values()), stderr


def test_a_bad_tokens_file_fails_at_start_with_its_position(repo, tmp_path):  # noqa: F811
    bad = tmp_path / "tokens.yaml"
    bad.write_text("tokens:\n  - name: a\n    sha256: " + "ab" * 32 +
                   "\n    scopes: [read:service/churn_model, reed:view/x]\n")
    p = fst.run(["serve", "--port", "0", "--auth", bad], repo[0], ok=1, timeout=20)
    assert p.stderr.startswith(f"error: {bad}:4:40: scope of token 'a': unknown scope "
                               "'reed:view/x'; expected read:service/NAME"), p.stderr
    bad.write_text("tokens:\n  - name: a\n    sha256: " + "ab" * 32 + "\n    scopes: [admin]\n"
                   "    owner: me\n")
    p = fst.run(["serve", "--port", "0", "--auth", bad], repo[0], ok=1, timeout=20)
    assert f"{bad}:5:5: unknown key 'owner' in token 'a' (expected name, sha256, scopes, " \
        "project)" in p.stderr
    bad.write_text("tokens:\n  - name: a\n    sha256: not-a-hash\n    scopes: [admin]\n")
    p = fst.run(["serve", "--port", "0", "--auth", bad], repo[0], ok=1, timeout=20)
    assert f"{bad}:3:13: 'sha256' of token 'a' must be 64 hex digits" in p.stderr
    assert "not-a-hash" not in p.stderr
    bad.write_text("tokens: []\n")
    p = fst.run(["serve", "--port", "0", "--auth", bad], repo[0], ok=1, timeout=20)
    assert "no tokens in it" in p.stderr and "featherstone token new" in p.stderr
    p = fst.run(["serve", "--port", "0", "--auth", tmp_path / "absent.yaml"], repo[0], ok=1,
                timeout=20)
    assert "absent.yaml: cannot be read" in p.stderr


def test_non_loopback_needs_auth_or_insecure(repo, tmp_path):  # noqa: F811
    p = fst.run(["serve", "--host", "0.0.0.0", "--port", "0"], repo[0], ok=1, timeout=20)
    assert "refusing to serve on 0.0.0.0 without authentication" in p.stderr
    assert "--auth" in p.stderr and "--insecure" in p.stderr
    p = fst.run(["serve", "--port", "0", "--insecure", "--auth", tmp_path / "t.yaml"], repo[0],
                ok=1, timeout=20)
    assert "--insecure" in p.stderr and "--auth" in p.stderr
    fst.run(["serve", "--token-file", tmp_path / "t"], repo[0], ok=2, timeout=20)
