import pytest

from integrapath.security import Role


@pytest.fixture
def caseworker(auth, make_user):
    """A caseworker of the test municipality, signed in on ``client``."""
    user = make_user(Role.CASEWORKER)
    auth.login(user)
    return user
