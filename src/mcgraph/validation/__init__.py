"""Annex I/II validation: shapes loaded once, a fast compiled engine and pySHACL as reference."""

from mcgraph.validation.report import DocumentReport, ValidationResult, reports_json, reports_text
from mcgraph.validation.validator import PROFILES, Validator, detect_profile, validate

__all__ = [
    "PROFILES",
    "DocumentReport",
    "ValidationResult",
    "Validator",
    "detect_profile",
    "reports_json",
    "reports_text",
    "validate",
]
