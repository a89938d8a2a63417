"""Rendering HTML pages (Jinja templates, autoescaped) and the generic error page."""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template

from .context import host_org


def render(template: str, status: int = 200, **context: Any):
    """Render a template with what every page needs (host, org name)."""
    html = render_template(template, host=current_app.config["LOCALORG_HOST"], org=host_org(),
                           **context)
    return html, status, {"Content-Type": "text/html; charset=utf-8"}


def error_page(title: str, message: str, status: int = 400, **context: Any):
    return render("error.html", status=status, title=title, message=message, **context)
