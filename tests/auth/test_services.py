"""Sign-in rules called directly."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from integrapath.auth import services
from integrapath.auth.models import LoginAttempt
from integrapath.extensions import db, utcnow


def test_old_failed_attempts_are_purged_and_do_not_count(app_ctx, make_user):
    user = make_user()
    for _ in range(5):
        db.session.add(
            LoginAttempt(
                email=user.email, ip_address="10.0.0.1", attempted_at=utcnow() - timedelta(days=2)
            )
        )
    db.session.commit()
    services.check_throttle(user.email, "10.0.0.1")  # two-day-old failures do not pause anyone
    with pytest.raises(services.InvalidCredentials):
        services.authenticate(user.email, "wrong-password", "10.0.0.1")
    assert db.session.scalar(select(func.count(LoginAttempt.id))) == 1


def test_successful_sign_in_clears_the_accounts_failures(app_ctx, make_user):
    user = make_user()
    for _ in range(3):
        with pytest.raises(services.InvalidCredentials):
            services.authenticate(user.email, "wrong-password", "10.0.0.2")
    services.authenticate(user.email, "correct-horse-battery", "10.0.0.2")
    remaining = db.session.scalar(
        select(func.count(LoginAttempt.id)).where(LoginAttempt.email == user.email)
    )
    assert remaining == 0
