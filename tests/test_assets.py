"""Static files: hashed names, compressed variants, far-future caching; HTML compressed too."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from integrapath import create_app
from integrapath.assets import SOURCE, build_assets

ROOT = Path(__file__).resolve().parent.parent
PURGED = SOURCE / "vendor/bootstrap"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("static") / "build"
    return folder, build_assets(folder)


@pytest.fixture
def served(built):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://", STATIC_BUILD_FOLDER=built[0])
    return app.test_client()


def test_every_static_file_gets_a_hashed_name_and_compressed_variants(built):
    folder, manifest = built
    assert manifest["css/app.css"].startswith("css/app.")
    assert manifest["css/app.css"] != "css/app.css"
    for name in ("css/app.css", "js/app.js", "vendor/bootstrap/bootstrap.purged.min.css"):
        hashed = folder / manifest[name]
        assert hashed.read_bytes() == (SOURCE / name).read_bytes()
        assert Path(f"{hashed}.br").exists()
        assert Path(f"{hashed}.gz").exists()


def test_a_changed_file_gets_a_new_name(tmp_path):
    source = tmp_path / "source"
    (source / "css").mkdir(parents=True)
    (source / "css/app.css").write_text("body { color: red; }")
    before = build_assets(tmp_path / "build", source)["css/app.css"]
    (source / "css/app.css").write_text("body { color: blue; }")
    after = build_assets(tmp_path / "build", source)["css/app.css"]
    assert before != after
    assert not (tmp_path / "build" / before).exists()  # the old build is gone as a whole


def test_pages_link_the_hashed_files_served_compressed_and_cached_for_good(served, built):
    _, manifest = built
    page = served.get("/login").get_data(as_text=True)
    assert f'/static/{manifest["css/app.css"]}"' in page
    assert f'/static/{manifest["js/app.js"]}"' in page
    response = served.get(f"/static/{manifest['css/app.css']}", headers={"Accept-Encoding": "br"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "br"
    assert "immutable" in response.headers["Cache-Control"]
    assert "max-age=315360000" in response.headers["Cache-Control"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    response.close()  # WhiteNoise streams the file
    plain = served.get("/static/css/app.css", headers={"Accept-Encoding": "gzip"})
    assert plain.headers["Content-Encoding"] == "gzip"
    assert "immutable" not in plain.headers["Cache-Control"]
    plain.close()


def test_html_is_compressed_and_keeps_its_headers(served):
    response = served.get("/login", headers={"Accept-Encoding": "br, gzip"})
    assert response.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in response.headers["Vary"]
    assert response.headers["Cache-Control"] == "no-store"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_html_is_left_to_the_proxy_when_it_compresses(built):
    app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI="sqlite://",
        STATIC_BUILD_FOLDER=built[0],
        COMPRESS_REGISTER=False,
    )
    response = app.test_client().get("/login", headers={"Accept-Encoding": "br, gzip"})
    assert "Content-Encoding" not in response.headers


def test_no_bootstrap_script_and_no_unused_bootstrap_rule_is_shipped(tmp_path):
    """The committed stylesheets are what `make css` builds from today's templates."""
    purgecss = ROOT / "node_modules/purgecss"
    if not (purgecss.exists() and (ROOT / "node_modules/bootstrap").exists()):
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail("PurgeCSS and Bootstrap are required in CI: run make node-tools")
        pytest.skip("stylesheet check SKIPPED: no PurgeCSS (make node-tools installs it)")
    assert not list(SOURCE.rglob("*bootstrap*.js"))
    subprocess.run(
        [shutil.which("node"), "tools/purge-bootstrap.mjs", str(tmp_path)], cwd=ROOT, check=True
    )
    for name in ("bootstrap.purged.min.css", "bootstrap.rtl.purged.min.css"):
        assert (tmp_path / name).read_text() == (PURGED / name).read_text(), (
            f"{name} is stale: run make css"
        )
