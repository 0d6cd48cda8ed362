"""Write to the audit trail the way the app does, on the database of DATABASE_URL (demo
data loaded): sign-ins and case views through HTTP, a note, an erasure and a retention run
through the services. CI runs ``flask audit-verify`` afterwards (.ci/run)."""

import re

import sqlalchemy as sa

from integrapath import create_app
from integrapath.accounts.models import User
from integrapath.cases.models import Case, NoteCategory
from integrapath.cases.services import add_note
from integrapath.cli import DEMO_PASSWORD
from integrapath.extensions import db
from integrapath.privacy.services import apply_retention, decide_erasure, request_erasure
from integrapath.security import Role


def main() -> None:
    app = create_app()
    client = app.test_client()
    with app.app_context():
        caseworker = db.session.scalars(sa.select(User).where(User.role == Role.CASEWORKER)).first()
        cases = db.session.scalars(
            sa.select(Case).where(Case.municipality_id == caseworker.municipality_id).limit(3)
        ).all()
        email, case_ids = caseworker.email, [case.id for case in cases]
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    signed_in = client.post("/login", data={"email": email, "password": DEMO_PASSWORD,
                                            "csrf_token": token})  # fmt: skip
    assert signed_in.status_code == 302, signed_in.status_code
    for case_id in case_ids:
        assert client.get(f"/cases/{case_id}").status_code == 200
    with app.test_request_context():
        caseworker = db.session.scalars(sa.select(User).where(User.email == email)).one()
        admin = db.session.scalars(
            sa.select(User).where(
                User.role == Role.ADMIN, User.municipality_id == caseworker.municipality_id
            )  # fmt: skip
        ).first()
        first, second = (db.session.get(Case, case_id) for case_id in case_ids[:2])
        add_note(first, NoteCategory.GENERAL, "Checked by CI", caseworker)
        decide_erasure(request_erasure(second, caseworker), True, admin)
        apply_retention(caseworker.municipality)
        db.session.commit()
    print(f"Audit trail exercised: {len(case_ids)} files viewed, a note, an erasure.")  # noqa: T201


if __name__ == "__main__":
    main()
