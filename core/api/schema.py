"""The OpenAPI document lists every status an operation can answer.

drf-spectacular documents what each view declares; the answers every
LINE-compatible view can give whatever it declares come from the shared
base (``core.api.views.LineApiView``): body size (413), rate limits (429),
bearer authentication (401, 403 for a suspended or unavailable account),
parsing (400, 415) and unknown objects in the path (404), all with LINE's
error body. This hook adds them where they apply (issue 19, #10; the fuzz
test in tests/messaging/api/test_fuzz.py holds the schema to it).
"""

ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}


def _error(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": ERROR_REF}},
    }


def line_error_responses(result, generator, request, public):
    """``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]`` entry; returns the schema."""
    if "ErrorResponse" not in result.get("components", {}).get("schemas", {}):
        return result
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "delete", "patch"}:
                continue
            responses = operation.setdefault("responses", {})
            due = {
                "413": "The request body is too large",
                "429": "Too many requests",
            }
            if operation.get("parameters") or operation.get("requestBody"):
                due["400"] = "The request is invalid"
            if operation.get("requestBody"):
                due["415"] = "The content type is not supported"
            if "{" in path:
                due["404"] = "Not found"
            if operation.get("security") != [] and any(
                "bearer" in name.lower() or "token" in name.lower()
                for scheme in operation.get("security", [{}])
                for name in scheme
            ):
                due["401"] = "Authentication failed"
                due["403"] = "Not available for this account"
            for status, description in due.items():
                responses.setdefault(status, _error(description))
    return result
