"""The .xlsx export of 100,000 cases, timed, with its memory bounded: `make bench`.

The cases are filled in this process; the export runs in a fresh child process, so that its
peak resident memory is the export's alone. Fails when the export adds more than the bound
to the memory held before its first row, as a writer keeping every row in memory would.
"""

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# What the export may add to the memory the process held before its first row.
MEMORY_BOUND_MB = float(os.environ.get("BENCH_EXPORT_MB", "100"))
CASES = int(os.environ.get("BENCH_EXPORT_CASES", "100000"))


def _app(url: str):
    from integrapath import create_app

    return create_app(
        "testing", SQLALCHEMY_DATABASE_URI=url, PASSWORD_HASH_METHOD="pbkdf2:sha256:1000"
    )


def export_xlsx(url: str, user_id: int) -> None:
    """In the child: export every case of the caseworker's municipality as .xlsx."""
    from integrapath.accounts.models import User
    from integrapath.cases import services
    from integrapath.cases.spreadsheets import export_caseload
    from integrapath.extensions import db
    from integrapath.spreadsheets import ExportFormat

    app = _app(url)
    with app.test_request_context():
        user = db.session.get(User, user_id)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started = time.perf_counter()
        export = export_caseload(
            services.caseload_query(user, services.CaseloadFilters(mine=False), eager=False),
            ExportFormat.XLSX,
            "de",
        )
        elapsed = time.perf_counter() - started
        size = export.file.seek(0, os.SEEK_END) / 1024 / 1024
        export.file.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{elapsed} {export.rows} {size} {before} {peak}")


def fill(app) -> tuple[int, int]:
    """Fill the database with CASES generated files (seed-volume); return a caseworker's id
    and the number of open files, which the export (of open files, as the caseload) holds."""
    from integrapath.accounts.models import User
    from integrapath.cases.models import Case, CaseStatus
    from integrapath.extensions import db
    from integrapath.volume import VOLUME_DOMAIN, seed_volume

    with app.app_context():
        db.create_all()
        seed_volume(CASES)
        db.session.commit()
        caseworker = db.session.scalar(
            db.select(User.id).where(User.email == f"caseworker0@{VOLUME_DOMAIN}")
        )
        open_files = db.session.scalar(
            db.select(db.func.count(Case.id)).where(Case.status == CaseStatus.ACTIVE)
        )
        return caseworker, open_files


def main() -> int:
    folder = tempfile.mkdtemp(prefix="integrapath-export-")
    url = f"sqlite:///{folder}/bench.db"
    user_id, open_files = fill(_app(url))
    child = subprocess.run(  # noqa: S603 (this script, with arguments it made)
        [sys.executable, __file__, "--export", url, str(user_id)],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )  # fmt: skip
    elapsed, rows, size, before, peak = child.stdout.split()[-5:]
    grew = float(peak) - float(before)
    over = grew > MEMORY_BOUND_MB or int(rows) != open_files
    print(
        f"{'xlsx export of all cases':<34} {float(elapsed) * 1000:>10.1f} {'':>8}  "
        f"({int(rows):,} rows, {float(size):.1f} MB file; peak memory {float(peak):.0f} MB, "
        f"{grew:.0f} MB over the {float(before):.0f} MB before the first row, "
        f"bound {MEMORY_BOUND_MB:.0f} MB)" + ("  OVER BOUND" if over else "")
    )
    return 1 if over else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--export"]:
        export_xlsx(sys.argv[2], int(sys.argv[3]))
        sys.exit(0)
    sys.exit(main())
