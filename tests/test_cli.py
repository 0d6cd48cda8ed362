"""The command-line tasks create what they say, and seeding is safe to repeat."""

from sqlalchemy import func, select

from integrapath.accounts.models import User
from integrapath.cases.models import Case
from integrapath.extensions import db
from integrapath.security import Role


def test_seed_demo_is_idempotent_and_prints_the_logins(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "admin@lindenau.example" in first.output
    assert "demo-password-2026" in first.output
    counts = (
        db.session.scalar(select(func.count(User.id))),
        db.session.scalar(select(func.count(Case.id))),
    )
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert (
        db.session.scalar(select(func.count(User.id))),
        db.session.scalar(select(func.count(Case.id))),
    ) == counts
    municipalities = db.session.scalars(select(User.municipality_id).distinct()).all()
    assert len(municipalities) == 2  # two towns, so that isolation can be tried
    amina = db.session.scalar(select(User).where(User.email == "amina@lindenau.example"))
    assert db.session.scalar(select(Case).where(Case.account_id == amina.id)) is not None


def test_create_admin_creates_the_municipality_and_account(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-admin", "--municipality-code", "lis", "--municipality-name", "Lisboa",
              "--email", "Chefe@Example.org", "--name", "Ana Costa",
              "--password", "a-long-password"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    admin = db.session.scalar(select(User).where(User.email == "chefe@example.org"))
    assert admin.role == Role.ADMIN
    assert admin.municipality.code == "LIS"
    again = runner.invoke(
        args=["create-admin", "--municipality-code", "LIS", "--email", "chefe@example.org",
              "--name", "Ana", "--password", "a-long-password"]
    )  # fmt: skip
    assert again.exit_code != 0
    assert "exists already" in again.output


def test_create_admin_refuses_a_short_password(app):
    result = app.test_cli_runner().invoke(
        args=["create-admin", "--municipality-code", "X", "--municipality-name", "X",
              "--email", "x@example.org", "--name", "X", "--password", "short"]
    )  # fmt: skip
    assert result.exit_code != 0
    assert "use at least 10 characters" in result.output
    assert db.session.scalar(select(User).where(User.email == "x@example.org")) is None


def test_demo_plans_show_an_agreed_acknowledged_plan_with_an_overdue_action(app):
    from integrapath.accounts.models import Municipality
    from integrapath.pathway.models import PlanVersion
    from integrapath.pathway.services import overdue_actions

    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert runner.invoke(args=["seed-demo"]).exit_code == 0  # no second set of plans
    versions = db.session.scalars(select(PlanVersion).order_by(PlanVersion.id)).all()
    assert [(v.number, v.acknowledged_at is not None) for v in versions] == [
        (1, False), (2, True), (1, False)
    ]  # fmt: skip
    caseworker = db.session.scalar(select(User).where(User.email == "caseworker@lindenau.example"))
    lindenau = db.session.get(Municipality, caseworker.municipality_id)
    with app.test_request_context():
        overdue = overdue_actions(caseworker, lindenau.today())
    assert [action.text for _case, action in overdue.rows] == [
        "Anerkennung des Masterabschlusses beantragen"
    ]
