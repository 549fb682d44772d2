"""Every concrete AST command has exactly one handler, named after its grammar rule."""

from __future__ import annotations

import inspect

from lark.ast_utils import camel_to_snake

from qadmin import ast
from qadmin.commands.registry import REGISTRY, load_handlers
from qadmin.help import command_help, overview
from qadmin.parser import get_parser


def _command_classes() -> list[type]:
    load_handlers()
    found = [
        obj
        for _, obj in inspect.getmembers(ast, inspect.isclass)
        if issubclass(obj, ast.Command) and obj is not ast.Command
    ]
    assert set(found) <= set(ast.command_classes())
    return ast.command_classes()


def test_every_command_has_exactly_one_handler():
    load_handlers()
    classes = set(_command_classes())
    assert classes == set(REGISTRY), classes ^ set(REGISTRY)


def test_handler_name_is_rule_name_and_rule_exists():
    load_handlers()
    rules = {r.origin.name for r in get_parser().rules}
    rules |= {r.alias for r in get_parser().rules if r.alias}
    for cls, entry in REGISTRY.items():
        rule = camel_to_snake(cls.__name__)
        assert entry.name == rule, (cls, entry.name)
        assert rule in rules, rule


def test_every_command_documents_its_syntax():
    for cls in _command_classes():
        first = inspect.cleandoc(cls.__doc__ or "").split("\n")[0]
        assert ": " in first, cls
    text = overview()
    assert "create queue <name>" in text
    assert command_help(("alter", "queue")) and "max_count" in command_help(("alter", "queue"))


def test_which_statements_refresh_completion():
    from qadmin.commands.registry import changes_catalog
    from qadmin.parser import parse_one

    assert changes_catalog(parse_one("create queue q"))
    assert not changes_catalog(parse_one("show queue"))
    assert not changes_catalog(parse_one("watch create queue q"))
    assert not changes_catalog(parse_one("select 1"))
    assert changes_catalog(parse_one("select pgq.create_queue('x')"))
    assert changes_catalog(parse_one("create table t (a int)"))
    assert changes_catalog(parse_one("commit"))
    assert not changes_catalog(parse_one("begin"))


def test_every_handler_lives_in_its_commands_family_module():
    """dispatch imports qadmin.commands.<family> of the AST class first: keep them paired."""
    load_handlers()
    for cls, entry in REGISTRY.items():
        family = cls.__module__.rpartition(".")[2]
        assert entry.handler.__module__ == f"qadmin.commands.{family}", (cls, entry.handler)


def test_a_one_liner_loads_only_its_familys_handlers():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from qadmin.parser import parse_one\n"
        "from qadmin.commands import registry\n"
        "registry._entry(parse_one('show queue *'))\n"
        "print(sorted(m for m in sys.modules if m.startswith(('qadmin.commands.', 'engine.'))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "qadmin.commands.queue" in out
    for other in ("qadmin.commands.londiste", "engine.londiste", "engine.cascade"):
        assert other not in out, out
