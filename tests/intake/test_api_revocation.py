"""Revoking an API key applies at once in every web process (issue 20.4).

Each gunicorn worker is its own process with its own app; here each is its own app instance
(its own extensions, engine and connection pool) sharing the database and Redis, which is
what separates two workers. A key is used on every "worker" until the moment it is revoked
on one of them (the admin page, or the CLI); the very next request on every other one is
refused, whichever worker it lands on and whichever route it calls."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from c2c_safety import create_app
from tests.conftest import make_config
from tests.support.intake import flag_body, make_key, post_flag

WORKERS = 3


@pytest.fixture
def workers(app, tmp_path, database_url, redis_url):
    apps = [app] + [create_app(make_config(tmp_path, database_url, redis_url)) for _ in range(WORKERS - 1)]
    yield apps
    for other in apps[1:]:
        other.extensions["c2c_engine"].dispose()


def _use(app, key, n):
    api = app.test_client()
    flag = post_flag(api, key, flag_body(**{"content.id": f"post-{key[4:12]}-{n}", "flag.flagger.id": f"u-{n}"}))
    item_id = flag.get_json().get("item_id", 1) if flag.is_json else 1
    item = api.get(f"/api/v1/items/{item_id}", headers={"Authorization": f"Bearer {key}"})
    return flag.status_code, item.status_code


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(uses=st.lists(st.integers(0, WORKERS - 1), min_size=1, max_size=6),
       revoker=st.integers(0, WORKERS - 1), via_cli=st.booleans(), after=st.integers(0, WORKERS - 1))
def test_a_revoked_key_is_refused_at_once_by_every_worker(workers, uses, revoker, via_cli, after):
    name = f"platform-{len(uses)}-{revoker}-{int(via_cli)}-{after}-{id(uses)}"
    key = make_key(workers[0], name)
    for n, w in enumerate(uses):  # warm whichever workers the platform's requests reach
        assert _use(workers[w], key, n) == (202, 200)
    for w in range(WORKERS):
        assert _use(workers[w], key, 100 + w) == (202, 200)
    if via_cli:
        result = workers[revoker].test_cli_runner().invoke(args=["api-clients", "revoke", name])
        assert result.exit_code == 0, result.output
    else:
        from c2c_safety.core.db import new_session
        from c2c_safety.intake import api_keys

        with workers[revoker].app_context():
            s = new_session(workers[revoker])
            api_keys.revoke_client(s, name)
            s.commit()
            s.close()
    assert _use(workers[after], key, 200) == (401, 401)
    for w in range(WORKERS):
        assert _use(workers[w], key, 300 + w) == (401, 401)
