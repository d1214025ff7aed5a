import pytest
from django.contrib.auth.models import User

from reports.roles import Role
from tests.factories import make_user


@pytest.fixture
def editor(db: None) -> User:
    return make_user(Role.EDITOR, "editor")


@pytest.fixture
def editor2(db: None) -> User:
    return make_user(Role.EDITOR, "editor2")


@pytest.fixture
def analyst(db: None) -> User:
    return make_user(Role.ANALYST, "analyst")


@pytest.fixture
def subscriber(db: None) -> User:
    return make_user(Role.SUBSCRIBER, "subscriber")


@pytest.fixture
def outsider(db: None) -> User:
    """Signed in, but in no group."""
    return make_user(None, "outsider")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: pytest.FixtureRequest) -> None:
    # Real hashing costs most of a second per user; tests make many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]
