"""Keep the benchmark script runnable: a tiny run through its real entry point."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_geodata.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_geodata", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_main_reports_throughput(capsys: pytest.CaptureFixture[str]) -> None:
    lines = _load().main(["--convert", "2000", "--locate", "500", "--repeats", "1"])
    assert re.fullmatch(r"gcj02->wgs84: 2,000 points in \d+\.\d\d s \(.*M points/s.*\)", lines[0])
    assert lines[1].startswith("locate_many (schematic): 500 points")
    assert "500 in a district" in lines[1]  # every sampled point lies inside the outline
    assert capsys.readouterr().out.splitlines() == lines
