"""The composition root: ``create_app`` builds the runtime once and wires the web UI and the API."""

from .factory import create_app, get_runtime

__all__ = ["create_app", "get_runtime"]
