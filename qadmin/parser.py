"""Build the one LALR parser from grammar/*.lark; parse text; explain syntax errors."""

from __future__ import annotations

import functools
import re
import sys
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qadmin import ast
from qadmin.derived import cached_words, private_cache_file
from qadmin.scan import SIMPLE_TEXT, split_statements
from qadmin.slots import slot_for_terminal, slot_terminals

# lark is imported where a statement needs the grammar: a script of plain SQL
# (sql_only_words from the cache, then the fast path) never imports it
if TYPE_CHECKING:
    from lark import Lark, Token
    from lark.exceptions import UnexpectedInput

__all__ = [
    "FAMILIES",
    "QadminSyntaxError",
    "commands_starting",
    "describe_expected",
    "get_parser",
    "grammar_text",
    "keywords",
    "parse",
    "parse_one",
    "sql_words",
]

# Fixed order of the fragments; any other grammar/*.lark (a later family such as
# daemon.lark) follows in name order, so adding a family touches no core file.
FAMILIES = ("_terms", "_start", "session", "queue", "consumer", "event", "object", "sql")

# How terminals read in "expected ..." messages and which catalog kind a slot means.
_TERMINAL_TEXT = {
    "NAME": "a name",
    "QUOTED_NAME": None,
    "STRING": "a 'string'",
    "DOLLAR_STRING": None,
    "INT": "a number",
    "NUMBER": "a number",
    "CONN_WORD": "a value",
    "SEMICOLON": "';'",
    "$END": "end of input",
    "STAR": "'*'",
    "LPAR": "'('",
    "RPAR": "')'",
    "COMMA": "','",
    "EQUAL": "'='",
    "DOT": "'.'",
    "SQL_OP": None,
    "SQL_PARAM": None,
}


class QadminSyntaxError(Exception):
    """Input the grammar rejects, with the place and what could have come there."""

    def __init__(
        self,
        message: str,
        *,
        line: int,
        column: int,
        expected: tuple[str, ...] = (),
        source_line: str = "",
        incomplete: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.expected = expected
        self.source_line = source_line
        self.incomplete = incomplete

    def shifted(self, line: int, column: int) -> QadminSyntaxError:
        """The same error for a text that started at (line, column) of a larger one."""
        col = self.column + column - 1 if self.line == 1 else self.column
        return QadminSyntaxError(
            self.message,
            line=self.line + line - 1,
            column=col,
            expected=self.expected,
            source_line=self.source_line,
            incomplete=self.incomplete,
        )

    def render(self, prefix: str = "LINE") -> str:
        """psql-style: the message, the offending line and a caret under the spot."""
        head = f"syntax error at line {self.line}, column {self.column}: {self.message}"
        if not self.source_line:
            return head
        label = f"{prefix} {self.line}: "
        text = self.source_line.expandtabs(1)
        return f"{head}\n{label}{text}\n{' ' * (len(label) + self.column - 1)}^"

    def __str__(self) -> str:
        return self.render()


def grammar_text() -> str:
    """All fragments concatenated in the fixed order (one namespace, no %import).

    The completion slots' terminals are declared first, from qadmin.slots.
    """
    root = resources.files("qadmin.grammar")
    names = [f.name[:-5] for f in root.iterdir() if f.name.endswith(".lark")]
    order = [n for n in FAMILIES if n in names] + sorted(n for n in names if n not in FAMILIES)
    declare = "// ---- qadmin.slots\n%declare " + " ".join(slot_terminals()) + "\n"
    return declare + "\n".join(
        f"// ---- {n}.lark\n" + (root / f"{n}.lark").read_text() for n in order
    )


def _import_lark() -> None:
    """Import lark, the first time without its optional ``regex`` module.

    lark imports regex whenever it is installed (~10 ms of a start-up) and uses it
    only for ``Lark(regex=True)`` and ``\\p{...}`` classes, which the grammar has
    neither of (tests/unit/test_parser_lark.py); regex stays importable after.
    """
    if "lark" in sys.modules or "regex" in sys.modules:
        return
    sys.modules["regex"] = None  # type: ignore[assignment]  # import regex -> ImportError
    try:
        import lark  # noqa: F401
    finally:
        del sys.modules["regex"]


@functools.cache
def get_parser() -> Lark:
    """The LALR parser, built once per process (and cached on disk by lark, privately)."""
    _import_lark()
    import lark

    # lark checks the file against the grammar and options, and rebuilds it when they change
    cache = private_cache_file(
        f"lark-{lark.__version__}-py{sys.version_info[0]}{sys.version_info[1]}.cache"
    )
    return lark.Lark(
        grammar_text(),
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        maybe_placeholders=True,
        cache=cache or False,
    )


@functools.cache
def keywords() -> frozenset[str]:
    """Every keyword of the language, upper case (for highlighting and completion)."""
    out = set()
    for term in get_parser().terminals:
        pat = term.pattern
        if pat.type == "str" and pat.value[:1].isalpha():
            out.add(pat.value.upper())
    return frozenset(out)


@functools.cache
def sql_words() -> dict[str, str]:
    """First word of plain SQL -> its class in sql.lark (reading, calling, session, ...)."""
    out = {}
    for rule in get_parser().rules:
        name = rule.origin.name
        if isinstance(name, str) and name.startswith("_sql_") and name != "_sql_head":
            for symbol in rule.expansion:
                kw = terminal_keyword(symbol.name)
                if kw is not None:
                    out[kw.lower()] = name.removeprefix("_sql_")
    return out


@functools.cache
def commands_starting(word: str) -> tuple[str, ...]:
    """The commands of the grammar that start with a keyword: SHOW -> SHOW QUEUE, ...

    Each is the run of keywords its rule begins with (plain SQL left out).
    """
    # one command per rule: its shortest run (an optional [ON q] makes a longer one)
    runs: dict[str, str] = {}
    for rule in get_parser().rules:
        name = rule.origin.name
        if not isinstance(name, str) or name.startswith("_sql"):
            continue
        words = []
        for symbol in rule.expansion:
            kw = terminal_keyword(symbol.name)
            if kw is None or not kw[:1].isalpha():
                break
            words.append(kw.upper())
        if len(words) > 1 and words[0] == word.upper():
            text = " ".join(words)
            if name not in runs or len(text) < len(runs[name]):
                runs[name] = text
    return tuple(sorted(set(runs.values())))


def terminal_keyword(name: str) -> str | None:
    """The keyword a terminal stands for, or None if it is not a keyword."""
    try:
        pat = get_parser().get_terminal(name).pattern
    except KeyError:
        return None
    if pat.type == "str" and (pat.value[:1].isalpha() or pat.value.startswith("\\")):
        return pat.value
    return None


def describe_expected(names: set[str] | frozenset[str]) -> tuple[str, ...]:
    """Readable words for a set of acceptable terminals, keywords first."""
    slots = [s.text for n in sorted(names) if (s := slot_for_terminal(n)) is not None]
    words, others = [], []
    sql_ok = "SQL_OP" in names
    for n in sorted(names):
        if n.endswith("_SLOT"):
            continue
        kw = terminal_keyword(n)
        if kw is not None:
            words.append(kw.upper())
            continue
        if n == "NAME" and slots:
            continue
        if n in _TERMINAL_TEXT:
            text = _TERMINAL_TEXT[n]
        else:
            text = None
            try:
                pat = get_parser().get_terminal(n).pattern
                if pat.type == "str":
                    text = f"'{pat.value}'"
            except KeyError:
                text = n
        if text and not (sql_ok and n in ("STAR", "LPAR", "RPAR", "COMMA", "EQUAL", "DOT")):
            others.append(text)
    if sql_ok:
        others = [o for o in others if o not in ("a name", "a 'string'", "a number")]
        others.append("the rest of an SQL statement")
    out: list[str] = []
    for item in [*words, *slots, *others]:
        if item not in out:
            out.append(item)
    return tuple(out)


def _join(items: tuple[str, ...], limit: int = 10) -> str:
    items = items[:limit] + (("...",) if len(items) > limit else ())
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


def _line_col(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return line, col


def _source_line(text: str, line: int) -> str:
    lines = text.splitlines() or [""]
    return lines[line - 1] if 0 < line <= len(lines) else ""


def _did_you_mean(word: str, expected: tuple[str, ...]) -> str:
    """`; did you mean CREATE?` for a mistyped keyword."""
    if not word[:1].isalpha():
        return ""
    import difflib  # only for a syntax error: not every start-up's import

    words = [e for e in expected if e.isupper() and e.isalpha()]
    close = difflib.get_close_matches(word.upper(), words, n=1, cutoff=0.75)
    return f" (did you mean {close[0]}?)" if close else ""


def _at_statement_start(expected: set[str]) -> bool:
    return "SELECT" in expected and "REGISTER" in expected


_DOLLAR_OPEN = re.compile(r"\$(?:(?!\d)\w+)?\$")


def _unterminated(text: str, pos: int) -> QadminSyntaxError | None:
    """An error for a quote or comment that opens at pos and never closes."""
    what = None
    if text.startswith("/*", pos):
        what = "comment"
    elif text.startswith("'", pos) or (
        text[pos : pos + 1] in ("E", "e") and text.startswith("'", pos + 1)
    ):
        what = "quoted string"
    elif text.startswith('"', pos):
        what = "quoted name"
    elif _DOLLAR_OPEN.match(text, pos):
        what = "dollar-quoted string"
    if what is None:
        return None
    from qadmin.scan import closes

    if closes(text, pos + (1 if text[pos] in "Ee" and what == "quoted string" else 0)):
        return None  # it does close: something else is wrong there
    line, col = _line_col(text, pos)
    return QadminSyntaxError(
        f"unterminated {what}",
        line=line,
        column=col,
        source_line=_source_line(text, line),
        incomplete=True,
    )


def _end_of_input(text: str, expected: tuple[str, ...]) -> QadminSyntaxError:
    """The statement stopped where more must come (the console reads another line)."""
    line, col = _line_col(text, len(text.rstrip()))
    return QadminSyntaxError(
        f"unexpected end of input; expected {_join(expected)}",
        line=line,
        column=col,
        expected=expected,
        source_line=_source_line(text, line),
        incomplete=True,
    )


def _error(text: str, err: UnexpectedInput) -> QadminSyntaxError:
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

    if isinstance(err, UnexpectedCharacters):
        pos = err.pos_in_stream or 0
        line, col = _line_col(text, pos)
        char = text[pos]
        if (open_err := _unterminated(text, pos)) is not None:
            return open_err
        expected = describe_expected(set(err.allowed or ()))
        return QadminSyntaxError(
            f"unexpected {char!r}" + (f"; expected {_join(expected)}" if expected else ""),
            line=line,
            column=col,
            expected=expected,
            source_line=_source_line(text, line),
        )
    if isinstance(err, UnexpectedToken):
        names = set(err.accepts or err.expected or ())
        expected = describe_expected(names)
        tok: Token = err.token
        if tok.type == "$END":
            return _end_of_input(text, expected)
        if tok.start_pos is not None and (open_err := _unterminated(text, tok.start_pos)):
            return open_err
        line, col = tok.line or 1, tok.column or 1
        guess = _did_you_mean(str(tok), expected)
        if _at_statement_start(names):
            msg = f"unknown command {str(tok)!r}{guess} (HELP lists the commands)"
        else:
            msg = f"unexpected {str(tok)!r}{guess}; expected {_join(expected)}"
        return QadminSyntaxError(
            msg, line=line, column=col, expected=expected, source_line=_source_line(text, line)
        )
    if isinstance(err, UnexpectedEOF):
        return _end_of_input(text, describe_expected(set(err.expected or ())))
    line, col = getattr(err, "line", 1) or 1, getattr(err, "column", 1) or 1
    return QadminSyntaxError(str(err), line=line, column=col)


def parse(text: str) -> tuple[ast.Command, ...]:
    """Parse statements into AST commands; raise QadminSyntaxError for bad input.

    The text is cut into statements first (qadmin.scan), exactly as scripts and
    the console run it, so a backslash command owns the rest of its line.
    """
    fast = _plain_sql(text)  # one plain SQL statement: neither split nor parsed
    if fast is not None:
        return (fast,)
    pieces = split_statements(text)
    if len(pieces) <= 1:
        return _parse_grammar(text)
    out: list[ast.Command] = []
    for piece in pieces:
        if piece.blank:
            continue
        try:
            out.extend(_parse_statement(piece.text))
        except QadminSyntaxError as err:
            raise err.shifted(piece.line, piece.column) from None
    return tuple(out)


@functools.cache
def sql_only_words() -> frozenset[str]:
    """First words (lower case) that start plain SQL and no console command.

    From the grammar: the FIRST set of the ``sql`` rule minus that of every other
    statement.  A statement starting with one of them is plain SQL whatever
    follows, so a script's ``select ...`` lines skip the LALR parse (under
    cProfile, most of a script line's client time after the transformer fix).
    Kept on disk per grammar (qadmin.derived): such a script needs no parser.
    """
    depends_on = grammar_text() + Path(__file__).read_text()  # the grammar and this code
    return cached_words("sql-only-words", depends_on, _derive_sql_only_words)


def _derive_sql_only_words() -> frozenset[str]:
    expansions: dict[str, list[list[Any]]] = {}
    for rule in get_parser().rules:
        expansions.setdefault(str(rule.origin.name), []).append(list(rule.expansion))
    nullable: set[str] = set()
    first: dict[str, set[str]] = {name: set() for name in expansions}
    changed = True
    while changed:
        changed = False
        for name, alts in expansions.items():
            for alt in alts:
                for sym in alt:
                    add = {sym.name} if sym.is_term else first[sym.name]
                    if not add <= first[name]:
                        first[name] |= add
                        changed = True
                    if sym.is_term or sym.name not in nullable:
                        break
                else:
                    if name not in nullable:
                        nullable.add(name)
                        changed = True

    def words(terminals: set[str]) -> set[str | None]:
        return {(kw.lower() if (kw := terminal_keyword(t)) else None) for t in terminals}

    sql_first: set[str | None] = set()
    other_first: set[str | None] = set()
    for alt in expansions["_statement"]:
        head = alt[0]
        terms = {head.name} if head.is_term else first[head.name]
        (sql_first if head.name == "sql" else other_first).update(words(terms))
    if None in other_first:  # a command may start with a name: no word is safe
        return frozenset()
    return frozenset(w for w in sql_first - other_first if w is not None)


_PLAIN_SQL_HEAD = re.compile(r"[A-Za-z]+")
# text whose every quote closes (qadmin.scan's simple text: a dollar quote or a stray $
# goes to the parser)
_PLAIN_SQL_BODY = re.compile(SIMPLE_TEXT)


def _plain_sql(text: str) -> ast.Sql | None:
    """The Sql command the grammar would make of text, when that is sure without
    parsing: it starts with an SQL-only word and has no comment or backslash."""
    head = _PLAIN_SQL_HEAD.match(text)
    if head is None or head.group().lower() not in sql_only_words():
        return None
    if "--" in text or "/*" in text or "\\" in text:
        return None
    body = text.rstrip()
    if body.endswith(";"):
        body = body[:-1].rstrip()
    if ";" in body:  # more than one statement (or a ';' in a literal): let the parser cut
        return None
    if _PLAIN_SQL_BODY.fullmatch(body) is None:  # a quote never closes: the parser says where
        return None
    return ast.Sql(body)


def _parse_statement(text: str) -> tuple[ast.Command, ...]:
    fast = _plain_sql(text)
    return (fast,) if fast is not None else _parse_grammar(text)


def _parse_grammar(text: str) -> tuple[ast.Command, ...]:
    _import_lark()
    from lark.exceptions import UnexpectedInput, VisitError

    from qadmin.transform import make_transformer

    parser = get_parser()
    try:
        tree = parser.parse(text)
    except UnexpectedInput as err:
        raise _error(text, err) from None
    try:
        return make_transformer(text).transform(tree)
    except VisitError as err:
        line, col = 1, 1
        meta = getattr(err.obj, "meta", None)
        if meta is not None and not getattr(meta, "empty", True):
            line, col = meta.line, meta.column
        raise QadminSyntaxError(
            f"invalid value: {err.orig_exc}",
            line=line,
            column=col,
            source_line=_source_line(text, line),
        ) from None
    except RecursionError:
        raise QadminSyntaxError("statement nested too deeply", line=1, column=1) from None


def parse_one(text: str) -> ast.Command:
    """Parse text that holds exactly one statement."""
    commands = parse(text)
    if len(commands) != 1:
        raise QadminSyntaxError(f"expected one statement, got {len(commands)}", line=1, column=1)
    return commands[0]
