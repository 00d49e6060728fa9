"""Reading request bodies with LINE's two kinds of error.

A property of the wrong JSON type fails at once, as LINE's deserialiser
does ("The property, X, in the request body is invalid"); values of the
right type that break a rule are collected and reported together ("The
request body has N error(s)" with ``details``).
"""

import re

from core.api.exceptions import BodyInvalid, PropertyInvalid

MUST_BE_SPECIFIED = "must be specified"
MAY_NOT_BE_EMPTY = "May not be empty"


class Body:
    """Typed access to one JSON object; call ``check()`` when done."""

    def __init__(self, data, *, prefix: str = ""):
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise PropertyInvalid(prefix.rstrip(".") or "body")
        self.data = data
        self.prefix = prefix
        self.errors: list[dict] = []
        # An error LINE reports only when the body has no other (such as
        # a message's invalid contents); raised by ``check()``.
        self.deferred: Exception | None = None

    def error(self, name: str, message: str) -> None:
        self.errors.append({"message": message, "property": self.prefix + name})

    def _get(self, name: str, kinds: tuple[type, ...], required: bool):
        value = self.data.get(name)
        if value is None:
            if required:
                self.error(name, MUST_BE_SPECIFIED)
            return None
        wrong_bool = isinstance(value, bool) and bool not in kinds
        if wrong_bool or not isinstance(value, kinds):
            raise PropertyInvalid(self.prefix + name)
        return value

    def string(
        self,
        name: str,
        *,
        required: bool = False,
        max_length: int | None = None,
        pattern: str | None = None,
        choices: tuple[str, ...] | None = None,
    ) -> str | None:
        value = self._get(name, (str,), required)
        if value is None:
            return None
        if required and value == "":
            self.error(name, MAY_NOT_BE_EMPTY)
        elif max_length is not None and len(value) > max_length:
            self.error(name, f"Length must be between 0 and {max_length}")
        elif pattern is not None and not re.fullmatch(pattern, value):
            self.error(name, f"Must match the pattern {pattern}")
        elif choices is not None and value not in choices:
            self.error(
                name, f"Must be one of the following values: [{', '.join(choices)}]"
            )
        return value

    def integer(
        self,
        name: str,
        *,
        required: bool = False,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int | None:
        value = self._get(name, (int,), required)
        if value is None:
            return None
        low = minimum if minimum is not None else "-∞"
        high = maximum if maximum is not None else "∞"
        if (minimum is not None and value < minimum) or (
            maximum is not None and value > maximum
        ):
            self.error(name, f"Must be between {low} and {high}")
        return value

    def boolean(self, name: str, *, default: bool = False) -> bool:
        value = self._get(name, (bool,), False)
        return default if value is None else value

    def array(
        self,
        name: str,
        *,
        required: bool = False,
        min_items: int = 0,
        max_items: int | None = None,
    ) -> list | None:
        value = self._get(name, (list,), required)
        if value is None:
            return None
        if len(value) < min_items or (max_items is not None and len(value) > max_items):
            high = max_items if max_items is not None else "∞"
            self.error(name, f"Size must be between {min_items} and {high}")
        return value

    def object(self, name: str, *, required: bool = False) -> "Body | None":
        value = self._get(name, (dict,), required)
        if value is None:
            return None
        return self.nested(value, name)

    def nested(self, value, path: str) -> "Body":
        """A ``Body`` for an object at ``path`` sharing this body's errors."""
        child = Body(value, prefix=f"{self.prefix}{path}.")
        child.errors = self.errors  # one list for the whole request
        return child

    def choices(
        self,
        name: str,
        allowed: tuple[str, ...],
        *,
        required: bool = False,
        min_items: int = 1,
    ) -> list[str] | None:
        """An array of strings, each one of ``allowed``."""
        values = self.array(name, required=required, min_items=min_items)
        for i, value in enumerate(values or []):
            if not isinstance(value, str):
                raise PropertyInvalid(f"{self.prefix}{name}[{i}]")
            if value not in allowed:
                self.error(
                    f"{name}[{i}]",
                    f"Must be one of the following values: [{', '.join(allowed)}]",
                )
        return values

    def check(self) -> None:
        """Raise ``BodyInvalid`` with every collected error, if any, else
        the deferred error."""
        if self.errors:
            raise BodyInvalid(self.errors)
        if self.deferred is not None:
            raise self.deferred
