"""Email addresses: checked with email-validator (syntax only; no DNS lookups)."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email


def normalized(address) -> str | None:
    """The address in its normal form, or None when it is not a valid address."""
    if not isinstance(address, str) or not address.strip() or len(address) > 320:
        return None
    try:
        return validate_email(address.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        return None
