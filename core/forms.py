"""Form helpers shared by every Manager page."""

from django import forms

from core.exceptions import ApplicationError


def form_errors_from(
    form: forms.Form, error: ApplicationError, field: str | None = None
) -> None:
    """Attach a domain error to the form so the page shows it in place.

    With ``field`` (a field of ``form``), ``error.message`` goes next to it.
    Otherwise each ``error.details`` key that names a field puts its message
    next to that field, and when none does the message goes to the top of
    the form.
    """
    if field in form.fields:
        form.add_error(field, error.message)
        return
    placed = False
    for key, message in error.details.items():
        if key in form.fields:
            form.add_error(key, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)
