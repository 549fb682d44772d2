"""Pure: the values of quoted names and string literals as the user typed them."""

from __future__ import annotations

__all__ = ["unquote_name", "unquote_string"]


def unquote_name(token: str) -> str:
    """A bare name folded to lower case, a "quoted" one kept exactly."""
    if token.startswith('"'):
        return token[1:-1].replace('""', '"')
    return token.lower()


def unquote_string(token: str) -> str:
    """The value of a 'string', E'string' or $tag$string$tag$ literal."""
    if token.startswith("$"):
        tag_end = token.index("$", 1) + 1
        return token[tag_end : len(token) - tag_end]
    if token[0] in "Ee":
        body = token[2:-1].replace("''", "'")
        return body.encode("latin-1", "backslashreplace").decode("unicode_escape")
    return token[1:-1].replace("''", "'")
