from django import forms

from core.exceptions import ApplicationError


def form_error_from(form: forms.Form, error: ApplicationError, field=None) -> None:
    """Attach a domain error to ``field`` (or the form) so the page shows it."""
    form.add_error(field if field in form.fields else None, error.message)
