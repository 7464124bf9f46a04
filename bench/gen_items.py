"""Generate review items for the queue benchmark with PostgreSQL COPY.

    python -m bench.gen_items --items 1000000 [--db c2c_bench_queue_1m] [--force]

Builds (or reuses) a dedicated database next to C2C_TEST_PG_URL / the local service, with
the desk's schema. Reuse: the database keeps a `bench_meta` row with the item count and a
fingerprint of the schema; if both match, nothing is generated again.

Shape: 62 % of items waiting (60 % open, 2 % appealed), the rest decided; 1-4 flags each;
85 % scored (ItemScore rows with plausible category scores), 10 % pending, 5 % failed;
author ages, languages (da, en, de, sv, ...) and chat kinds in classroom-like proportions.
Priorities, severity levels and queue ranks follow review/priority.py (without flagger
reliability); spam-wave keys follow review/text_keys.py.
Secondary indexes are dropped during COPY and rebuilt afterwards, then ANALYZE.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.schema import CreateIndex, CreateTable

ITEM_COLS = ("id", "content_type", "platform_content_id", "text", "media_urls", "author_pseudonym",
             "author_age_band", "author_role", "project_id", "chat_kind", "audience_min_age_band",
             "school_country", "language_hint", "posted_at", "status", "decided_at", "flag_count",
             "first_flagged_at", "last_flagged_at", "created_at", "score_status", "score_attempts",
             "top_category", "top_score", "language", "language_reliable", "priority", "queue_rank",
             "minor_involved", "safeguarding", "version", "queue_level", "waiting_since", "promote_at",
             "text_key")
FLAG_COLS = ("item_id", "flagger_pseudonym", "flagger_role", "reason_category", "comment", "flagged_at",
             "received_at")
SCORE_COLS = ("subject_type", "subject_id", "model_name", "model_version", "scores", "reasons", "language",
              "language_reliable", "created_at", "extra")
BULK_TABLES = ("review_items", "flags", "item_scores")

TEXTS = ("Can someone help me with the water cycle poster?", "You are so annoying, nobody wants you here.",
         "Vi ses i morgen til projektet!", "Das ist so dumm, du kannst gar nichts.",
         "Send me a picture of you, keep it secret ok?", "I feel like hurting myself again.",
         "Our class planted trees today :)", "lol that is so cool", "Du er så grim, gå væk.",
         "Wie alt bist du? Schreib mir privat.")
REASONS = ("bullying", "bullying", "bullying", "hate", "threat", "sexual", "grooming", "self_harm", "spam",
           "privacy", "safeguarding", "other")
AGES = ("under13", "under13", "13to15", "13to15", "13to15", "16plus", "adult")
LANGS = ("da", "da", "da", "en", "en", "de", "de", "sv", "no", "und")


def _fingerprint() -> str:
    import models
    from bench.servers import create_schema  # noqa: F401  (imports every model module)

    # Indexes too: a new index must not be missing from a reused database.
    ddl = "\n".join([str(CreateTable(t)) for t in models.Base.metadata.sorted_tables]
                    + sorted(str(CreateIndex(i)) for t in models.Base.metadata.sorted_tables for i in t.indexes))
    return hashlib.sha256(ddl.encode()).hexdigest()[:16]


def _esc(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S+00")
    s = str(value)
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _line(values: tuple[Any, ...]) -> str:
    return "\t".join(_esc(v) for v in values) + "\n"


def _item(i: int, rng: random.Random, now: datetime) -> tuple[tuple[Any, ...], list[tuple[Any, ...]],
                                                                tuple[Any, ...] | None]:
    from c2c_safety.review import priority, text_keys
    from classifiers import CATEGORIES

    age = rng.choice(AGES)
    chat = rng.random() < 0.35
    chat_kind = ("one_to_one" if rng.random() < 0.3 else "group") if chat else None
    audience = rng.choice(AGES) if chat_kind == "one_to_one" else None
    lang = rng.choice(LANGS)
    first = now - timedelta(seconds=rng.randint(60, 10 * 24 * 3600))
    r = rng.random()
    status = "open" if r < 0.60 else ("appealed" if r < 0.62 else "decided")
    n_flags = 1 + int(rng.random() ** 3 * 4)
    reasons = [rng.choice(REASONS) for _ in range(n_flags)]
    s = rng.random()
    score_status = "scored" if s < 0.85 else ("pending" if s < 0.95 else "failed")
    scores: dict[str, float] | None = None
    top_cat = top = None
    if score_status == "scored":
        scores = {c: round(rng.random() ** 4, 3) for c in CATEGORIES}
        hint = priority.reason_category(reasons[0])
        if hint in scores:
            scores[hint] = round(0.3 + rng.random() * 0.7, 3)
        top_cat = max(scores, key=lambda c: scores[c]) if scores else None
        top = scores[top_cat] if top_cat else None
    minor = age in priority.MINOR_BANDS or audience in priority.MINOR_BANDS
    cats = {priority.reason_category(x) for x in reasons}
    if scores:
        cats |= {c for c, b in priority.bands(scores).items() if b != "low"}
    pts = 3 * max(priority.SEVERITY.get(c, 30) for c in cats)
    pts += priority.BAND_POINTS[priority.band(top_cat, top)] if top_cat and top is not None \
        else priority.UNSCORED_BAND_POINTS
    pts += priority.MINOR_POINTS if minor else 0
    pts += min(100, round(25 * __import__("math").log2(1 + n_flags)))
    level = 2 * max(priority.SEVERITY_CLASS.get(c, 0) for c in cats) + (1 if minor else 0)
    placed = priority.place(pts, level, first, now)
    text = rng.choice(TEXTS)
    safeguarding = (chat_kind == "one_to_one" and minor) or any(
        x in priority.SAFEGUARDING_REASONS for x in reasons)
    decided_at = first + timedelta(hours=rng.randint(1, 48)) if status == "decided" else None
    item = (i, "chat_message" if chat else rng.choice(("post", "comment", "project")), f"bench-{i}",
            text, "[]", f"u-{rng.randint(1, 200_000)}", age, "student" if age != "adult" else "teacher",
            f"p-{rng.randint(1, 5000)}", chat_kind, audience, rng.choice(("DK", "DK", "DE", "SE", "NO")), lang,
            first - timedelta(minutes=5), status, decided_at, n_flags, first, first, first, score_status,
            1 if score_status != "pending" else 0, top_cat, top, lang if scores else None,
            (lang in ("da", "en", "de")) if scores else None, pts, placed.rank, minor,
            safeguarding, 1, level, first, placed.promote_at if status != "decided" else None,
            text_keys.text_key(text))
    flaggers = rng.sample(range(1, 200_000), n_flags)  # independent flaggers: one flag each
    flags = [(i, f"u-{flaggers[k]}", rng.choice(("student", "student", "teacher", "parent")),
              reason, "", first + timedelta(seconds=k), first + timedelta(seconds=k))
             for k, reason in enumerate(reasons)]
    score = None
    if scores is not None:
        score = ("item", i, "minilm-heads", "bench", json.dumps(scores), "{}", lang,
                 lang in ("da", "en", "de"), first + timedelta(seconds=30), "{}")
    return item, flags, score


def _copy(conn: Any, table: str, cols: tuple[str, ...], buf: io.StringIO) -> None:
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as cp:
        cp.write(buf.getvalue())


def _detach(pg: Any) -> list[str]:
    """Drop secondary indexes and unique/foreign-key constraints of the bulk tables; return
    the statements that recreate them (loading into bare tables is many times faster)."""
    restore: list[str] = []
    tables = list(BULK_TABLES)
    for name, table, definition in pg.execute(
            "SELECT conname, conrelid::regclass::text, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid::regclass::text = ANY(%s) AND contype IN ('u', 'f')", (tables,)).fetchall():
        pg.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        restore.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    for name, definition in pg.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) "
            "AND indexname NOT LIKE 'pk_%%'", (tables,)).fetchall():
        pg.execute(f'DROP INDEX "{name}"')
        restore.insert(0, definition)
    pg.commit()
    return restore


def generate(url: str, n: int, seed: int = 11, chunk: int = 50_000) -> float:
    """Fill an empty schema with `n` items; returns seconds taken."""
    import psycopg

    start = time.monotonic()
    rng = random.Random(seed)
    now = datetime.now(UTC)
    with psycopg.connect(url) as pg:
        restore = _detach(pg)
        for lo in range(1, n + 1, chunk):
            items, flags, scores = io.StringIO(), io.StringIO(), io.StringIO()
            for i in range(lo, min(lo + chunk, n + 1)):
                item, fl, sc = _item(i, rng, now)
                items.write(_line(item))
                for f in fl:
                    flags.write(_line(f))
                if sc is not None:
                    scores.write(_line(sc))
            _copy(pg, "review_items", ITEM_COLS, items)
            _copy(pg, "flags", FLAG_COLS, flags)
            _copy(pg, "item_scores", SCORE_COLS, scores)
            pg.commit()
        pg.execute("SELECT setval(pg_get_serial_sequence('review_items', 'id'), %s)", (n,))
        pg.execute("SET maintenance_work_mem = '256MB'")
        for statement in restore:
            pg.execute(statement)
        pg.commit()
        pg.autocommit = True
        pg.execute("VACUUM ANALYZE")  # sets the visibility map, so counts can be index-only
    return time.monotonic() - start


def ensure(n: int, name: str | None = None, force: bool = False) -> tuple[str, float | None]:
    """A database holding exactly this generation (reused when present). Returns (url, seconds
    spent generating, or None when reused)."""
    from bench.servers import create_schema, shared_pg_url

    base = shared_pg_url()
    if base is None:
        raise RuntimeError("PostgreSQL is needed: set C2C_TEST_PG_URL or start the local service")
    name = name or f"c2c_bench_queue_{n}"
    url = base.rsplit("/", 1)[0] + "/" + name
    fp = f"{_fingerprint()}:{n}"
    admin: Engine = create_engine(base.replace("postgresql://", "postgresql+psycopg://", 1),
                                  isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
    if exists and not force:
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.connect() as conn:
            try:
                have = conn.scalar(text("SELECT fingerprint FROM bench_meta"))
            except Exception:  # no marker: a half-built or foreign database
                have = None
        engine.dispose()
        if have == fp:
            admin.dispose()
            return url, None
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    create_schema(url)
    took = generate(url, n)
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE bench_meta (fingerprint text)"))
        conn.execute(text("INSERT INTO bench_meta VALUES (:f)"), {"f": fp})
    engine.dispose()
    return url, took


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.gen_items")
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--db", default=None)
    parser.add_argument("--force", action="store_true", help="regenerate even if reusable")
    args = parser.parse_args()
    url, took = ensure(args.items, args.db, args.force)
    print(f"{url}: " + ("reused" if took is None else f"generated {args.items:,} items in {took:.0f} s"))


if __name__ == "__main__":
    main()
