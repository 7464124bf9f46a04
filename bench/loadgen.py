"""HTTP load for the ingest API: flag bodies, one POST, a closed burst and an open-loop step.

Standard library only (http.client and threads): nothing to install, and the client's own
cost stays small and predictable next to the server's on a 2-core machine.
"""

from __future__ import annotations

import http.client
import json
import statistics
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlsplit

_TEXTS = (
    "We planted trees today and measured how tall they grew",
    "nobody likes you, leave the project",
    "Can you send a picture of your poster? don't tell your parents",
    "lol that is so cool, see you tomorrow",
)


def flag_body(content_id: str, n: int = 0) -> bytes:
    """A valid `POST /api/v1/flags` body for platform content `content_id`."""
    return json.dumps({
        "content": {"id": content_id, "type": "post", "text": f"{_TEXTS[n % len(_TEXTS)]} ({n})"},
        "author": {"id": f"u-{n % 97}", "age_band": "13to15", "role": "student"},
        "context": {"project_id": f"p-{n % 13}", "school_country": "DK", "language": "en"},
        "flag": {"flagger": {"id": f"f-{n}", "role": "student"}, "reason": "bullying",
                 "flagged_at": "2025-05-01T09:30:00+02:00"},
    }).encode()


@dataclass(frozen=True)
class Reply:
    status: int  # 0: no HTTP answer at all (connection refused/reset, timeout)
    retry_after: str | None
    seconds: float
    body: bytes = b""


def post(base: str, path: str, body: bytes, headers: dict[str, str], timeout: float = 30) -> Reply:
    """One POST on a fresh connection (what a platform client behind a proxy looks like)."""
    parts = urlsplit(base)
    started = time.perf_counter()
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
    try:
        conn.request("POST", path, body=body, headers={"Content-Type": "application/json",
                                                       "Connection": "close", **headers})
        resp = conn.getresponse()
        data = resp.read()
        return Reply(resp.status, resp.getheader("Retry-After"), time.perf_counter() - started, data)
    except (OSError, http.client.HTTPException):
        return Reply(0, None, time.perf_counter() - started)
    finally:
        conn.close()


def flag_poster(base: str, api_key: str) -> Callable[[str, int], Reply]:
    """post_flag(content_id, n): one flag, with an Idempotency-Key derived from the content id."""
    auth = {"Authorization": f"Bearer {api_key}"}

    def post_flag(content_id: str, n: int) -> Reply:
        return post(base, "/api/v1/flags", flag_body(content_id, n), {**auth, "Idempotency-Key": f"k-{content_id}"})

    return post_flag


def burst(send: Callable[[str, int], Reply], ids: Iterable[str], threads: int = 16,
          on_reply: Callable[[int, Reply], None] | None = None) -> dict[str, Reply]:
    """Closed loop: `threads` clients send one flag per id as fast as they are answered."""
    out: dict[str, Reply] = {}
    done = 0
    lock = threading.Lock()

    def one(arg: tuple[int, str]) -> None:
        nonlocal done
        n, cid = arg
        reply = send(cid, n)
        with lock:
            out[cid] = reply
            done += 1
            count = done
        if on_reply is not None:
            on_reply(count, reply)

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, enumerate(ids)))
    return out


@dataclass
class StepResult:
    rate: float
    seconds: float  # offered for `rate * seconds` requests; afterwards: until the last answer
    latencies: list[float] = field(default_factory=list)  # from the intended send time
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def sent(self) -> int:
        return len(self.latencies)

    @property
    def achieved(self) -> float:
        ok = self.sent - self.errors
        return ok / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies) * 1000 if self.latencies else float("nan")


def open_loop(send: Callable[[int], Reply], rate: float, seconds: float, ok_status: int,
              max_threads: int = 96) -> StepResult:
    """Offer `rate` requests/s for `seconds`, whatever the server's speed (open loop).

    Latency counts from the moment a request was due, not when a thread got to send it, so
    a server that falls behind shows it in p99 instead of silently slowing the client down
    (coordinated omission).
    """
    total = max(1, int(rate * seconds))
    result = StepResult(rate, seconds)
    lock = threading.Lock()

    def one(n: int, due: float) -> None:
        reply = send(n)
        latency = time.perf_counter() - due
        with lock:
            result.latencies.append(latency)
            result.statuses[reply.status] = result.statuses.get(reply.status, 0) + 1
            if reply.status != ok_status:
                result.errors += 1

    with ThreadPoolExecutor(max_threads) as pool:
        start = time.perf_counter()
        for n in range(total):
            due = start + n / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(one, n, due)
    result.seconds = time.perf_counter() - start  # until the last answer: what was really served
    return result
