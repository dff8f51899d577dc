"""Errors services raise; interfaces turn them into 400, 403 and 409 answers."""

from django.core.exceptions import ValidationError


class ConflictError(Exception):
    """The object's state forbids this (an illegal transition, a decision already made)."""

    def __init__(self, message: str, *, code: str = "conflict"):
        super().__init__(message)
        self.message = message
        self.code = code


def field_error(field: str, message: str, code: str = "invalid") -> ValidationError:
    return ValidationError({field: [ValidationError(message, code=code)]})


__all__ = ["ConflictError", "ValidationError", "field_error"]
