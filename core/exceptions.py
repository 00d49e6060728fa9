from django.utils.translation import gettext


class ApplicationError(Exception):
    """A domain rule refused the operation; ``message`` is shown to people.

    ``details`` maps a field or property name to its own message, as LINE's
    error body does, and lets forms attach the error to the right field.
    """

    def __init__(self, message: str, details: dict[str, str] | None = None):
        super().__init__(message)
        self.message = str(message)
        self.details = details or {}

    def __str__(self) -> str:
        return self.message


class NotFound(ApplicationError):
    """The row does not exist, or belongs to another tenant.

    Selectors raise it for both cases alike ("not yours" is "not found").
    It is answered with a 404 in one place each: ``core.middleware`` for
    pages and ``core.api.exception_handler`` for the LINE API. Being an
    ``ApplicationError``, it is also caught by views that show those on a
    form; where the answer must stay a 404 such a view lets it through
    first (``except NotFound: raise``).
    """

    def __init__(self, message: str | None = None, details=None):
        super().__init__(message or gettext("Not found."), details)
