"""Errors raised by the domain modules, turned into the API's one error shape."""

from http import HTTPStatus

import sqlalchemy.exc

from .extensions import db


class DomainError(Exception):
    """A request the domain refuses; `errors` maps a JSON path to its messages."""

    code = 422

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None, code: int | None = None, **extra):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}
        if code is not None:
            self.code = code
        self.extra = extra

    def payload(self) -> dict:
        body = {
            "code": self.code,
            "status": HTTPStatus(self.code).phrase,
            "message": self.message,
            "errors": self.errors,
        }
        body.update(self.extra)
        return body


class InvalidInput(DomainError):
    code = 422


class Conflict(DomainError):
    code = 409


class NotFound(DomainError):
    code = 404


def already_exists(message: str, field: str) -> Conflict:
    """The 409 of a new row whose key (`field`) another row holds."""
    return Conflict(message, {field: ["already exists"]})


def errors_from_lines(lines: list[str]) -> dict[str, list[str]]:
    """["reviewers[3].school_urn: unknown school '9'"] -> {"reviewers[3].school_urn": [...]}."""
    out: dict[str, list[str]] = {}
    for line in lines:
        path, sep, message = line.partition(": ")
        if not sep:
            path, message = "_schema", line
        out.setdefault(path, []).append(message)
    return out


def register(app):
    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError):
        return error.payload(), error.code

    # What slips past validation to the database is still the caller's input,
    # not a server fault: answer in the same shape, and leave nothing written.
    @app.errorhandler(sqlalchemy.exc.DataError)
    def _data_error(error):
        db.session.rollback()
        app.logger.info("refused by the database: %s", error.orig)
        return InvalidInput(
            "a value does not fit (too long or out of range)", {"_schema": [type(error.orig).__name__]}
        ).payload(), 422

    @app.errorhandler(sqlalchemy.exc.IntegrityError)
    def _integrity_error(error):
        db.session.rollback()
        app.logger.info("refused by the database: %s", error.orig)
        return Conflict(
            "the change conflicts with data already stored", {"_schema": [type(error.orig).__name__]}
        ).payload(), 409
