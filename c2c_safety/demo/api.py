"""The demo's API client and a ready-to-paste curl example (demo and tests only).

The demo key itself stays in intake/api_keys.py, which refuses it outside C2C_ENV=demo/test.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from c2c_safety.intake.api_keys import DEFAULT_SCOPES, DEMO_KEY, create_client, get_by_name

DEMO_CLIENT = "platform-demo"


def seed_demo_client(session: Session) -> None:
    """Demo seeder: the `platform-demo` client with the fixed demo key (idempotent)."""
    if get_by_name(session, DEMO_CLIENT) is None:
        create_client(session, DEMO_CLIENT, DEFAULT_SCOPES, key=DEMO_KEY)


def demo_curl_example(base_url: str = "http://127.0.0.1:5000") -> str:
    body = (
        '{"content": {"id": "post-1001", "type": "post", "text": "nobody likes you, leave the project"}, '
        '"author": {"id": "u-77", "age_band": "13to15", "role": "student"}, '
        '"context": {"project_id": "p-12", "school_country": "DK", "language": "en"}, '
        '"flag": {"flagger": {"id": "u-78", "role": "student"}, "reason": "bullying", '
        '"flagged_at": "2025-05-01T09:30:00+02:00"}}'
    )
    return (
        f"Demo API client {DEMO_CLIENT!r}, key (demo only): {DEMO_KEY}\n"
        f"  curl -s -X POST {base_url}/api/v1/flags \\\n"
        f"    -H 'Authorization: Bearer {DEMO_KEY}' \\\n"
        "    -H 'Content-Type: application/json' -H 'Idempotency-Key: demo-1' \\\n"
        f"    -d '{body}'\n"
        f"  API reference: docs/api.md, schema: {base_url}/api/v1/openapi.json"
    )
