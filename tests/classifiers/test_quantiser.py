"""The frozen layers' int8 quantiser: a token row's result depends on that row alone.

torch.ao's dynamic quantisation scales activations once per batch tensor, so one loud
neighbour in a batch moved every other message's score (classifiers/README.md, "Limits").
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from classifiers.backbones.e5model import LINEARS, QUANTISER, AdapterConfig, RowInt8Linear, _get, build_scorer


def _linear(seed: int, n_in: int = 48, n_out: int = 40) -> nn.Linear:
    torch.manual_seed(seed)
    return nn.Linear(n_in, n_out)


def test_a_row_does_not_move_with_its_neighbours() -> None:
    q = RowInt8Linear(_linear(1))
    torch.manual_seed(2)
    x = torch.randn(3, 5, 48)
    loud = x.clone()
    loud[1] *= 1000.0          # another message in the batch, far louder
    loud[2, :, 7] = 5e4        # and one with an outlier feature
    alone = q(x[0:1])
    assert torch.equal(q(loud)[0:1], alone)
    assert torch.equal(q(x)[0:1], alone)


def test_close_to_the_float_layer() -> None:
    base = _linear(3)
    q = RowInt8Linear(base)
    torch.manual_seed(4)
    x = torch.randn(64, 48)
    with torch.no_grad():
        want = base(x)
    err = (q(x) - want).abs().max() / want.abs().max()
    assert float(err) < 0.03
    assert q(torch.zeros(0, 48)).shape == (0, 40)     # an empty batch is not an error
    assert torch.equal(q(torch.zeros(2, 48)), base.bias.detach().expand(2, 40))  # all-zero row: bias only


def test_the_scorer_quantises_every_frozen_linear_and_nothing_above(tiny_e5: tuple[Path, Path]) -> None:
    cfg = AdapterConfig(split=1, rank=2, alpha=4.0)
    scorer = build_scorer(tiny_e5[0], cfg, None, quantise=True)
    for i, layer in enumerate(scorer.layers):
        for name in LINEARS:
            assert isinstance(_get(layer, name), RowInt8Linear) is (i < cfg.split), (i, name)
    assert QUANTISER == "int8row"

