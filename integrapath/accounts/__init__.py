"""Tenancy and accounts (no blueprint: admin and auth hold the pages)."""
