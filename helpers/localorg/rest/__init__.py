"""REST API of the instance hosts: /services/data and /services/apexrest."""

from flask import Blueprint


def blueprint(host: str) -> Blueprint:
    """REST routes of an instance host (stub until implemented)."""
    return Blueprint(f"rest_{host}", __name__)
