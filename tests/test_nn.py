"""Internals of generation that the public API relies on."""

from __future__ import annotations

import torch

from debiasgen.nn.generate import class_intervals, sample_classes


def test_inverse_cdf_never_picks_a_padding_class():
    # two nodes padded to 5 classes; the second has only 2 real ones
    logits = torch.randn(2, 1000, 5, generator=torch.Generator().manual_seed(0))
    logits[1, :, 2:] = -1e9
    top = torch.nextafter(torch.tensor(1.0, dtype=torch.float64), torch.tensor(0.0))
    e = torch.rand(2, 1000, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    e[:, :10] = top  # the largest uniform below 1
    codes, w = sample_classes(logits, e, torch.tensor([5, 2]))
    assert int(codes[0].max()) <= 4 and int(codes[1].max()) <= 1
    assert bool(((w >= 0) & (w < 1)).all())


def test_class_position_round_trip():
    # e -> (class, position) -> e: abduction inverts sampling
    logits = torch.randn(3, 500, 4, generator=torch.Generator().manual_seed(2))
    e = torch.rand(3, 500, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    codes, w = sample_classes(logits, e, torch.tensor([4, 4, 4]))
    lower, p = class_intervals(logits, codes)
    torch.testing.assert_close(lower + w * p, e)
    assert bool(((e >= lower) & (e <= lower + p)).all())
