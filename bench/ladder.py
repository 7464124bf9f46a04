"""Open-loop rate ladders: the highest rate an endpoint sustains with p99 < 100 ms, 0 errors.

One ladder offers coarse rates until the endpoint is far past saturation, then bisects
between its last good and first bad rate. Several ladders run *interleaved*: at each rate
every endpoint takes its step before the next rate starts, the order flipping from rate to
rate, and the bisections alternate the same way. On a shared box whose speed drifts by
±15 % within minutes (issue 24's runs), two ladders run one after the other can see
different machines; interleaved, both see the same drift, so their ratio is measured
under the same conditions. The endpoints' servers all stay up meanwhile: an idle gunicorn
costs memory, not CPU.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bench.loadgen import Reply, StepResult, open_loop

# (send, rate, seconds) -> the step's result; open_loop, or a model of an endpoint in tests.
Stepper = Callable[[Callable[[int], Reply], float, float], StepResult]


def _open_loop(send: Callable[[int], Reply], rate: float, seconds: float) -> StepResult:
    return open_loop(send, rate, seconds, ok_status=202)

P99_BUDGET_MS = 100.0
SETTLE_SECONDS = 1.0  # the database and the pools settle between steps
WARM_UP = 20  # requests before the first step: imports, pools, first queries


def good(r: StepResult) -> bool:
    return r.errors == 0 and r.pct(99) < P99_BUDGET_MS


def sustained(results: Sequence[StepResult]) -> float:
    """The highest offered rate whose step met p99 < 100 ms with zero errors."""
    return max((r.rate for r in results if good(r)), default=0.0)


@dataclass
class _Ladder:
    send: Callable[[int], Reply]
    stepper: Stepper
    settle: float
    results: list[StepResult] = field(default_factory=list)
    far_past: bool = False  # higher coarse steps would only queue up more

    def step(self, rate: float, seconds: float) -> None:
        res = self.stepper(self.send, rate, seconds)
        self.results.append(res)
        time.sleep(self.settle)
        if res.errors > res.sent // 2 or res.pct(50) > 2000:
            self.far_past = True

    def bisection(self) -> float | None:
        """The next rate to try between the last good and the first bad, or None: close enough."""
        ok = sustained(self.results)
        bad = min((r.rate for r in self.results if not good(r) and r.rate > ok), default=0.0)
        if not bad or bad - ok < max(5.0, ok * 0.1):
            return None
        return float(round((ok + bad) / 2))


def run(sends: Sequence[Callable[[int], Reply]], rates: Sequence[float] | Sequence[int], seconds: float,
        refine: int, *, stepper: Stepper = _open_loop, warm_up: int = WARM_UP,
        settle: float = SETTLE_SECONDS) -> list[list[StepResult]]:
    """Each endpoint's steps (sorted by rate), its ladder interleaved with the others'."""
    ladders = [_Ladder(send, stepper, settle) for send in sends]
    for ladder in ladders:
        for n in range(warm_up):
            ladder.send(n)
    for i, rate in enumerate(rates):
        active = [lad for lad in (ladders if i % 2 == 0 else ladders[::-1]) if not lad.far_past]
        if not active:
            break
        for ladder in active:
            ladder.step(rate, seconds)
    for i in range(refine):
        order = ladders if i % 2 else ladders[::-1]  # the coarse steps' last order, flipped
        todo = [(lad, r) for lad in order if (r := lad.bisection()) is not None]
        if not todo:
            break
        for ladder, rate in todo:
            ladder.step(rate, seconds)
    return [sorted(lad.results, key=lambda r: r.rate) for lad in ladders]


def median_index(values: Sequence[float]) -> int:
    """The index of the median value (the lower one of an even count)."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    return order[(len(order) - 1) // 2]
