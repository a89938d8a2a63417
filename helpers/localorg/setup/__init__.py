"""Setup pages of each org: External Client App Manager and the Accounts list."""

from flask import Blueprint


def blueprint(host: str) -> Blueprint:
    """Setup pages of an instance host (stub until implemented)."""
    return Blueprint(f"setup_{host}", __name__)
