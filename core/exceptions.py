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
