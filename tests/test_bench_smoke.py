"""`make bench` itself still runs: a tiny volume, one second per page, on SQLite."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from pages import PAGES  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(not shutil.which("wrk"), reason="wrk missing (make bench installs it)")
def test_bench_fills_serves_and_reports_every_page(tmp_path):
    report = tmp_path / "BENCHMARKS.md"
    env = {**os.environ, "BENCH_CASES": "40", "BENCH_SECONDS": "1", "BENCH_CLIENTS": "2",
           "BENCH_REPORT": str(report), "BENCH_NOTE": "smoke"}  # fmt: skip
    env.pop("BENCH_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "benchmarks/load.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    table = report.read_text()
    assert "## 40 cases, SQLite" in table and "smoke" in table
    for page in PAGES:
        assert f"| {page.name}" in table
    assert "errors)" not in table  # every request answered 200


def test_bench_export_fills_and_measures_the_xlsx_export():
    done = subprocess.run(
        [sys.executable, "benchmarks/exports.py"],
        cwd=ROOT,
        env={**os.environ, "BENCH_EXPORT_CASES": "60"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "xlsx export of all cases" in done.stdout and "OVER BOUND" not in done.stdout
