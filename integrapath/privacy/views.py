"""Erasure requests: a caseworker records one, an administrator decides it."""

from . import bp, models  # noqa: F401
