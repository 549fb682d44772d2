"""Help texts, taken from the command classes' docstrings (one source for both)."""

from __future__ import annotations

import functools
import inspect
import re

from qadmin import ast

__all__ = ["META_COMMANDS", "command_help", "help_topics", "overview"]

META_COMMANDS = (
    ("\\q", "leave the console (also exit; quit; ^D)"),
    ("\\?", "this help (also help; show help;)"),
    ("\\x [on|off]", "toggle expanded output"),
    ("\\timing [on|off]", "toggle showing how long each command took"),
    ("\\refresh", "reload the names used by tab completion"),
    ("\\set [name [value ...]]", "set a variable (used as :name, :'name', :\"name\"); list them"),
    ("\\unset name", "remove a variable"),
    ("\\echo text ...", "print a line (after :variables are replaced)"),
)


def _commands() -> list[type[ast.Command]]:
    return ast.command_classes()


def _split(cls: type) -> tuple[str, str, str]:
    """(summary, syntax, details) of a command class."""
    doc = inspect.cleandoc(cls.__doc__ or "")
    first, _, rest = doc.partition("\n")
    summary, _, syntax = first.partition(": ")
    return summary.strip(), syntax.strip(), rest.strip()


def _keywords(syntax: str) -> tuple[str, ...]:
    words = []
    for word in re.split(r"[\s;]+", syntax):
        if not word or not re.fullmatch(r"[a-z_]+", word):
            break
        words.append(word)
    return tuple(words)


@functools.cache
def help_topics() -> tuple[tuple[str, ...], ...]:
    """The leading keywords of every command (what HELP <words> accepts)."""
    return tuple(sorted({_keywords(_split(c)[1]) for c in _commands()} - {()}))


def overview() -> str:
    """All commands, one line each, grouped as the grammar families are."""
    rows = []
    for cls in _commands():
        summary, syntax, _ = _split(cls)
        if syntax.startswith("\\"):
            continue  # listed with the console commands
        rows.append((syntax or cls.__name__, summary))
    rows.sort()
    width = 52
    lines = ['Commands (keywords in any case, names "quoted" to keep case, end with ;):', ""]
    for syntax, summary in rows:
        if len(syntax) > width:
            lines.append(f"  {syntax}")
            lines.append(f"  {'':{width}}   {summary}")
        else:
            lines.append(f"  {syntax:{width}}   {summary}")
    lines += ["", "Console commands (no ; needed):", ""]
    lines += [f"  {c:{width}}   {d}" for c, d in META_COMMANDS]
    lines += ["", "HELP <command>; shows details, e.g. HELP alter queue;"]
    return "\n".join(lines)


def command_help(topic: tuple[str, ...]) -> str | None:
    """Details of the commands whose syntax starts with the topic words."""
    want = tuple(w.lower() for w in topic)
    parts = []
    for cls in _commands():
        summary, syntax, details = _split(cls)
        kws = _keywords(syntax)
        if kws[: len(want)] == want or (want and "".join(want) == cls.__name__.lower()):
            block = f"{summary}\n\n    {syntax}"
            if details:
                block += "\n\n" + "\n".join(f"  {ln}" if ln else "" for ln in details.split("\n"))
            parts.append(block)
    return "\n\n".join(sorted(parts)) if parts else None
