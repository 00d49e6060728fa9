"""Plumbing shared by the LINE-compatible API: auth, errors, limits.

Views of the Messaging API subclass ``core.api.views.LineApiView``, which
answers every request the way LINE's servers do (see the spec, section 1.1):
``X-Line-Request-Id`` on every response, ``{"message", "details"?}`` error
bodies, a 2 MB body limit, JSON-only bodies and per-channel rate limits.
"""
