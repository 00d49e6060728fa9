"""A small HTML tree with CSS-like selection, for asserting rendered markup.

Selectors: compound parts ``tag#id.class[attr][attr='v'][attr*='v']`` joined
by spaces (descendant). Enough for the bubble renderer's tests without an
HTML parsing dependency.
"""

import re
from html.parser import HTMLParser

VOID = {"img", "hr", "br", "input", "meta", "link", "source"}


class Node:
    def __init__(self, tag: str, attrs: dict, parent=None):
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list = []

    def get(self, name: str, default=None):
        return self.attrs.get(name, default)

    def text_content(self) -> str:
        return "".join(
            c if isinstance(c, str) else c.text_content() for c in self.children
        )

    def iter(self):
        for c in self.children:
            if isinstance(c, Node):
                yield c
                yield from c.iter()

    def cssselect(self, selector: str) -> list["Node"]:
        parts = selector.split()
        found = [self]
        for part in parts:
            matcher = _compound(part)
            found = _unique(n for f in found for n in f.iter() if matcher(n))
        return found


def _unique(nodes):
    seen, out = set(), []
    for n in nodes:
        if id(n) not in seen:
            seen.add(id(n))
            out.append(n)
    return out


_PART = re.compile(r"([.#]?[\w-]+)|\[([\w-]+)(?:([*^]?=)'([^']*)')?\]")


def _compound(part: str):
    checks = []
    for m in _PART.finditer(part):
        if m[1]:
            token = m[1]
            if token.startswith("."):
                checks.append(lambda n, c=token[1:]: c in n.get("class", "").split())
            elif token.startswith("#"):
                checks.append(lambda n, i=token[1:]: n.get("id") == i)
            else:
                checks.append(lambda n, t=token: n.tag == t)
        else:
            name, op, value = m[2], m[3], m[4]
            if op is None:
                checks.append(lambda n, a=name: a in n.attrs)
            elif op == "=":
                checks.append(lambda n, a=name, v=value: n.get(a) == v)
            elif op == "*=":
                checks.append(lambda n, a=name, v=value: v in (n.get(a) or ""))
            else:
                checks.append(lambda n, a=name, v=value: (n.get(a) or "").startswith(v))
    return lambda n: all(check(n) for check in checks)


class _Builder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(
            tag, {k: (v if v is not None else "") for k, v in attrs}, self.current
        )
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        node = Node(
            tag, {k: (v if v is not None else "") for k, v in attrs}, self.current
        )
        self.current.children.append(node)

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse(html: str) -> Node:
    """The document root; ``root.cssselect(...)`` finds nodes in it."""
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root


def first(html: str) -> Node:
    """The first element of a fragment."""
    return next(parse(html).iter())


def outer_html(html: str, start: str) -> str:
    """The exact markup of the ``<div`` that begins at the first ``start``."""
    i = html.index(start)
    depth, pos = 0, i
    for m in re.compile(r"<div\b|</div>").finditer(html, i):
        depth += 1 if m[0] == "<div" else -1
        if depth == 0:
            pos = m.end()
            break
    return html[i:pos]
