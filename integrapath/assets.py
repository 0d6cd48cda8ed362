"""Static files: content-hashed names and gzip/Brotli variants built once, served by WhiteNoise.

``flask build-assets`` (``make run`` and ``make test`` run it) copies ``integrapath/static``
into the build folder, each file also under a name that carries a hash of its content
(``css/app.3f9a1c2b0d4e.css``), compresses every text file with gzip and Brotli next to it,
and writes ``manifest.json``. WhiteNoise serves that folder in front of the app: a hashed
file with a far-future ``immutable`` cache header, a plain name for a minute, each in the
encoding the browser accepts. ``url_for('static', filename='css/app.css')`` gives the hashed
name, so a changed file is a new URL and no browser keeps a stale copy.
"""

import hashlib
import json
import logging
import re
import shutil
from pathlib import Path, PurePosixPath

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

SOURCE = Path(__file__).resolve().parent / "static"
MANIFEST = "manifest.json"
HASHED_NAME = re.compile(r"\.[0-9a-f]{12}(\.\w+)?$")

logger = logging.getLogger(__name__)


def hashed_name(name: str, content: bytes) -> str:
    """``css/app.css`` → ``css/app.<first 12 hex digits of its SHA-256>.css``."""
    path = PurePosixPath(name)
    digest = hashlib.sha256(content).hexdigest()[:12]
    return str(path.with_name(f"{path.stem}.{digest}{path.suffix}"))


def build_assets(target: Path, source: Path = SOURCE) -> dict[str, str]:
    """Copy the static files under plain and hashed names, compress them, write the manifest.

    The new build is made beside ``target`` and then put in its place, so a running server
    never sees half a build.
    """
    staging = target.with_name(target.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    compressor = Compressor(quiet=True)
    manifest = {}
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        name = path.relative_to(source).as_posix()
        content = path.read_bytes()
        manifest[name] = hashed_name(name, content)
        for copy in (name, manifest[name]):
            destination = staging / copy
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(content)
            if compressor.should_compress(copy):
                compressor.compress(str(destination))
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    previous = target.with_name(target.name + ".old")
    shutil.rmtree(previous, ignore_errors=True)
    if target.exists():
        target.rename(previous)
    staging.rename(target)
    shutil.rmtree(previous, ignore_errors=True)
    return manifest


def _nosniff(headers, path, url) -> None:
    headers["X-Content-Type-Options"] = "nosniff"


def init_app(app: Flask) -> None:
    """Serve the built static files with WhiteNoise and give ``url_for`` their hashed names.

    Without a build (a bare ``flask run`` or a unit test) the sources are served as they
    are, uncompressed and briefly cached, and a warning says how to build them.
    """
    folder = Path(app.config["STATIC_BUILD_FOLDER"])
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except FileNotFoundError:
        logger.warning("Static files are not built: run `flask --app integrapath build-assets`")
        folder, manifest = SOURCE, {}
    app.add_url_rule(f"{app.static_url_path}/<path:filename>", endpoint="static", build_only=True)
    app.wsgi_app = WhiteNoise(
        app.wsgi_app,
        root=str(folder),
        prefix=app.static_url_path,
        immutable_file_test=lambda path, url: HASHED_NAME.search(url) is not None,
        add_headers_function=_nosniff,
    )

    @app.url_defaults
    def hashed_static_names(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values:
            values["filename"] = manifest.get(values["filename"], values["filename"])


@click.command("build-assets")
@with_appcontext
def build_assets_command() -> None:
    """Build the static files: hashed names, gzip and Brotli variants, manifest."""
    folder = current_app.config["STATIC_BUILD_FOLDER"]
    built = build_assets(Path(folder))
    click.echo(f"{len(built)} static files built into {folder}")
