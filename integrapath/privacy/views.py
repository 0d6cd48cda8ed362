"""Erasure requests: a caseworker records one, an administrator decides it."""

from . import bp  # noqa: F401
from . import models  # noqa: F401
