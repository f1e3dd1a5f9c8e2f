"""The README's demo runs end to end (small settings), so it cannot rot."""

from __future__ import annotations

import importlib.util
from pathlib import Path

DEMO = Path(__file__).resolve().parents[1] / "examples" / "demo_adult.py"


def test_demo_runs_and_writes_its_report(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("demo_adult", DEMO)
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    demo.main(["--rows", "3000", "--epochs", "2", "--out", str(tmp_path), "--quiet"])
    out = capsys.readouterr().out
    assert "Share of >50K incomes by sex" in out and "sex -> income" in out
    assert "demographic_parity_difference" in out
    report = (tmp_path / "fairness.md").read_text()
    for name in ("real", "synthetic", "ftu", "dp"):
        assert name in report
    assert (tmp_path / "fairness.png").stat().st_size > 1000
