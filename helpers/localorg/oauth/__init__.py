"""The authorization server: Salesforce's OAuth 2.0 endpoints, built on Authlib."""

from flask import Blueprint


def blueprint(host: str) -> Blueprint:
    """Routes of the authorization server for one host (stub until implemented)."""
    return Blueprint(f"oauth_{host}", __name__)
