"""The ingest ladder's algorithm (bench/ladder.py), with endpoints modelled by capacity.

The bench itself needs gunicorn and minutes; what is tested here is what decides its
headline: steps of several endpoints interleave rate by rate, each ladder stops past its
own saturation and bisects to its own knee, and the median pair is picked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bench import ladder
from bench.loadgen import Reply, StepResult


@dataclass(frozen=True)
class _Endpoint:
    """A sender that stands for an endpoint sustaining `capacity` requests/s."""

    name: str
    capacity: float

    def __call__(self, _n: int) -> Reply:
        return Reply(202, None, 0.001)


def _model(log: list[tuple[str, float]]) -> ladder.Stepper:
    """A step meets p99 < 100 ms below the endpoint's capacity; far past twice it."""

    def step(send: Callable[[int], Reply], rate: float, seconds: float) -> StepResult:
        assert isinstance(send, _Endpoint)
        log.append((send.name, rate))
        latency = 0.010 if rate <= send.capacity else (0.300 if rate < 2 * send.capacity else 3.0)
        return StepResult(rate, seconds, latencies=[latency] * 10)

    return step


def _run(capacities: dict[str, float], rates: list[int], refine: int) -> tuple[list[list[StepResult]],
                                                                               list[tuple[str, float]]]:
    log: list[tuple[str, float]] = []
    sends = [_Endpoint(name, cap) for name, cap in capacities.items()]
    out = ladder.run(sends, rates, 1.0, refine, stepper=_model(log), warm_up=0, settle=0.0)
    return out, log


def test_steps_alternate_rate_by_rate_and_the_order_flips() -> None:
    _, log = _run({"desk": 1000, "bare": 1000}, [25, 50, 100], refine=0)
    assert log == [("desk", 25), ("bare", 25), ("bare", 50), ("desk", 50), ("desk", 100), ("bare", 100)]


def test_each_ladder_stops_past_its_own_saturation_and_bisects_to_its_knee() -> None:
    rates = [25, 50, 100, 200, 400, 600, 800, 1000, 1200]
    (desk, bare), log = _run({"desk": 180, "bare": 520}, rates, refine=4)
    # The desk is far past saturation at 400 (> 2 x 180): no coarse step above it.
    assert max(r for name, r in log if name == "desk" and r in rates) == 400
    assert max(r for name, r in log if name == "bare" and r in rates) == 1200
    # Bisection closes in on each knee within 10 %.
    assert 180 * 0.9 <= ladder.sustained(desk) <= 180
    assert 520 * 0.9 <= ladder.sustained(bare) <= 520
    # While both ladders still bisect, their refinement steps alternate too.
    refinements = [name for name, r in log if r not in rates]
    assert refinements[:2] in (["desk", "bare"], ["bare", "desk"])
    assert [r.rate for r in desk] == sorted(r.rate for r in desk)


def test_sustained_needs_zero_errors_and_p99_under_budget() -> None:
    ok = StepResult(100, 1.0, latencies=[0.010] * 100)
    slow = StepResult(200, 1.0, latencies=[0.010] * 98 + [0.2] * 2)
    failed = StepResult(150, 1.0, latencies=[0.010] * 100, errors=1)
    assert ladder.sustained([ok, slow, failed]) == 100
    assert ladder.sustained([slow, failed]) == 0.0


def test_median_index_picks_the_middle_pair() -> None:
    assert ladder.median_index([0.39, 0.33, 0.29]) == 1
    assert ladder.median_index([0.5]) == 0
    assert ladder.median_index([0.6, 0.2, 0.4, 0.5]) == 2  # the lower of the two middle values
