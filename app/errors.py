"""The GAIOS error hierarchy. Services raise these; one handler in `app.main` renders
every one as the same JSON body: `{"error": {"type", "message", "details"}}`.

AppError
├── InvalidRecord (422)        a record, field or file that fails validation
├── PersonalDataFound (422)    personal data in a submission or question
├── NotFound (404)
├── Conflict (409)             e.g. a near-duplicate use case
├── PayloadTooLarge (413)
├── Unauthorized (401) / Forbidden (403)
├── RateLimited (429)
├── RequestTimeout (408)       a request body that stopped arriving
├── DeadlineExceeded (504)     validation or an answer over its time limit
├── UpstreamTimeout (504) / UpstreamError (502)   a model server that failed
├── ServiceUnavailable (503)   a component that is down
└── HTTPError (any)            Starlette's own errors (unknown route, wrong method...)

Anything else is an internal error: 500, with a message that shows no internals.
"""

from typing import Any


class AppError(Exception):
    status_code = 500
    error_type = "internal_error"

    def __init__(self, message: str, *, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or []

    def describe(self) -> str:
        """The message and each detail, one per line (for CLIs and logs)."""
        lines = [self.message]
        lines += [f"  - {e.get('field', '')}: {e.get('reason', e)}" for e in self.errors]
        return "\n".join(lines)


class InvalidRecord(AppError):
    status_code = 422
    error_type = "invalid"


class PersonalDataFound(AppError):
    status_code = 422
    error_type = "personal_data"


class NotFound(AppError):
    status_code = 404
    error_type = "not_found"


class Conflict(AppError):
    status_code = 409
    error_type = "conflict"


class PayloadTooLarge(AppError):
    status_code = 413
    error_type = "payload_too_large"


class Unauthorized(AppError):
    status_code = 401
    error_type = "unauthorized"


class Forbidden(AppError):
    status_code = 403
    error_type = "forbidden"


class RateLimited(AppError):
    status_code = 429
    error_type = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RequestTimeout(AppError):
    status_code = 408
    error_type = "request_timeout"


class DeadlineExceeded(AppError):
    status_code = 504
    error_type = "timeout"


class HTTPError(AppError):
    """An error Starlette raised itself, carried with its own status."""

    TYPES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed",
             413: "payload_too_large"}

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.error_type = self.TYPES.get(status_code, "http_error")


class UpstreamError(AppError):
    status_code = 502
    error_type = "upstream_error"


class UpstreamTimeout(AppError):
    status_code = 504
    error_type = "upstream_timeout"


class ServiceUnavailable(AppError):
    status_code = 503
    error_type = "service_unavailable"
