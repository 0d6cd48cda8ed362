"""Every page is valid HTML according to the W3C Nu HTML Checker (vnu.jar)."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

VNU_JAR = Path(__file__).resolve().parent.parent / "node_modules/vnu-jar/build/dist/vnu.jar"


@pytest.fixture(scope="module")
def checker():
    if VNU_JAR.exists() and shutil.which("java"):
        return ["java", "-jar", str(VNU_JAR), "--errors-only", "--format", "json"]
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail("the HTML checker is required in CI: run make html-checker")
    pytest.skip("HTML check SKIPPED: no vnu.jar or Java (make html-checker installs it)")


def test_every_page_is_valid_html(checker, every_page, tmp_path):
    for number, page in enumerate(every_page.values()):
        (tmp_path / f"page-{number:02d}.html").write_text(page)
    result = subprocess.run(
        [*checker, *sorted(str(page) for page in tmp_path.glob("*.html"))],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stderr, f"the checker printed nothing (exit {result.returncode})"
    messages = json.loads(result.stderr)["messages"]
    errors = [f"{Path(m['url']).name}:{m.get('lastLine')}: {m['message']}" for m in messages]
    assert errors == []
