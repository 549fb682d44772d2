"""End to end: the real console in a pty (pexpect), typing as a person would."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pexpect
import pytest

ROOT = Path(__file__).resolve().parents[2]
UP, CTRL_C, CTRL_D, CTRL_R, TAB = "\x1b[A", "\x03", "\x04", "\x12", "\t"


class Console:
    """A qadmin process in a pty; failures show everything the screen got."""

    def __init__(self, dsn: str, home: Path, *args: str, **extra_env: str) -> None:
        env = dict(
            os.environ,
            PROMPT_TOOLKIT_NO_CPR="1",
            COLUMNS="120",
            LINES="40",
            TERM="xterm",
            PAGER="",
            HOME=str(home),
            PYTHONPATH=str(ROOT),
        )
        env.update(extra_env)
        env.pop("QADMIN_HISTORY", None)
        self.log = home / "screen.log"
        self.child = pexpect.spawn(
            sys.executable,
            ["-m", "qadmin", "-X", "-d", dsn, *args],
            env=env,
            encoding="utf-8",
            dimensions=(40, 120),
            timeout=15,
        )
        self._logfile = open(self.log, "w")  # noqa: SIM115 - closed in close()
        self.child.logfile_read = self._logfile

    def expect(self, text: str, timeout: float = 15) -> None:
        try:
            self.child.expect_exact(text, timeout=timeout)
        except (pexpect.TIMEOUT, pexpect.EOF):
            self._logfile.flush()
            pytest.fail(f"never saw {text!r}; screen log:\n{self.log.read_text()[-4000:]}")

    def screen(self) -> str:
        self._logfile.flush()
        return self.log.read_text()

    def type(self, text: str, pause: float = 0.05) -> None:
        self.child.send(text)
        time.sleep(pause)

    def run(self, statement: str) -> None:
        self.type(statement + "\r")

    def tab_until(self, text: str, tries: int = 40) -> None:
        """Press Tab until the completed text shows (the catalog loads in the background).

        The bottom toolbar that says so is not drawn without cursor position
        reports (PROMPT_TOOLKIT_NO_CPR), so the completion itself is the signal.
        Pass the part after what was typed: the renderer may redraw only that.
        """
        for _ in range(tries):
            self.child.send(TAB)
            try:
                self.child.expect_exact(text, timeout=0.5)
                return
            except pexpect.TIMEOUT:
                continue
        pytest.fail(f"Tab never completed {text!r}; screen log:\n{self.screen()[-4000:]}")

    def close(self) -> int:
        if self.child.isalive():
            self.type(CTRL_D)
            self.child.expect(pexpect.EOF, timeout=15)
        self.child.close()
        if not self._logfile.closed:
            self._logfile.close()
        return self.child.exitstatus


def test_banner_show_and_exit(console):
    c = console()
    assert "pgq 3.6.0" in c.screen()
    c.run("show queue;")
    c.expect("(0 rows)")
    c.run("\\q")
    c.child.expect(pexpect.EOF)
    assert c.close() == 0


def test_tab_completes_a_live_queue_name(db, console):
    db.execute("select pgq.create_queue('orders_live')")
    c = console()
    c.type("show queue ord")
    c.tab_until("ers_live")
    c.run(";")
    c.expect('Queue "orders_live"')
    assert c.close() == 0


def test_completion_sees_a_queue_created_in_the_console(console):
    c = console()
    c.run("create queue fresh_one;")
    c.expect("CREATE QUEUE")
    c.type("show queue fre")
    c.tab_until("sh_one")
    c.run(";")
    c.expect('Queue "fresh_one"')


def test_statement_over_three_lines(db, console):
    c = console()
    c.run("create queue")
    c.run("   three_lines")
    c.run(";")
    c.expect("CREATE QUEUE")
    assert db.scalar("select count(*) from pgq.queue where queue_name = 'three_lines'") == 1


def test_ctrl_c_clears_the_buffer(console):
    c = console()
    c.type("select 'junk")
    c.type(CTRL_C, pause=0.3)
    c.run("select 40 + 2 as answer;")
    c.expect("answer")
    c.expect("42")
    assert "junk" not in c.screen().split("answer")[-1]


def test_history_recall_and_persistence(console, tmp_path):
    c = console()
    c.run("select 'recalled' as word;")
    c.expect("(1 row)")
    c.type(UP, pause=0.3)
    c.type("\r")
    c.expect("(1 row)")
    assert c.screen().count("recalled") >= 3
    c.close()
    history = (tmp_path / ".qadmin_history").read_text()
    assert "select 'recalled' as word;" in history
    c2 = console()
    c2.type(CTRL_R, pause=0.2)
    c2.type("recal", pause=0.3)
    c2.type("\r", pause=0.3)
    c2.type("\r")
    c2.expect("recalled")
    c2.expect("(1 row)")


def test_highlighting_and_validator_survive_odd_input(console):
    c = console()
    for text in ["select 'open", ' "quoted', " /* comment", " $$dollar", " -- x", " \\x"]:
        c.type(text, pause=0.1)
    c.type(CTRL_C, pause=0.3)
    c.run("show queue 12 12;")
    c.expect("syntax error at line 1")
    c.expect("^")
    c.run("select 1 as still_alive;")
    c.expect("still_alive")


def test_destructive_command_asks(db, console):
    db.execute("select pgq.create_queue('victim')")
    c = console()
    c.run("drop queue victim;")
    c.expect("[y/N]")
    c.run("n")
    c.expect("cancelled")
    assert db.scalar("select count(*) from pgq.queue") == 1
    c.run("drop queue victim;")
    c.expect("[y/N]")
    c.run("y")
    c.expect("DROP QUEUE")
    assert db.scalar("select count(*) from pgq.queue") == 0


def test_yes_switch_skips_the_question(db, console):
    db.execute("select pgq.create_queue('victim')")
    c = console("--yes")
    c.run("drop queue victim;")
    c.expect("DROP QUEUE")


def test_prompt_shows_queue_and_transaction(db, console):
    db.execute("select pgq.create_queue('pq')")
    c = console("-Q", "pq")
    assert "pq@" in c.screen()
    c.run("begin;")
    c.expect("=*#")
    c.run("rollback;")
    c.expect("ROLLBACK")


def test_ctrl_c_cancels_a_running_query(console):
    c = console()
    c.run("select pg_sleep(30);")
    time.sleep(1.0)
    c.type(CTRL_C, pause=0.3)
    c.expect("canceling statement due to user request", timeout=10)
    c.run("select 'after cancel' as state;")
    c.expect("after cancel")


def test_watch_repeats_until_ctrl_c(console):
    c = console()
    c.run("watch 0.2 select 'tick' as w;")
    c.expect("(every 0.2s)")
    c.expect("(every 0.2s)")
    c.type(CTRL_C, pause=0.3)
    c.run("select 'watch over' as state;")
    c.expect("watch over")


def test_sandbox_console(tmp_path):
    """The README's main job: a console on a throwaway server, removed on exit."""
    env = dict(
        os.environ,
        PROMPT_TOOLKIT_NO_CPR="1",
        TERM="xterm",
        PAGER="",
        HOME=str(tmp_path),
        TMPDIR=str(tmp_path),
        PYTHONPATH=str(ROOT),
    )
    child = pexpect.spawn(
        sys.executable,
        ["-m", "qadmin", "-X", "--sandbox"],
        env=env,
        encoding="utf-8",
        dimensions=(40, 120),
        timeout=120,
    )
    try:
        child.expect_exact("qadmin=#")
        child.send("create queue sandboxed;\r")
        child.expect_exact("CREATE QUEUE")
        child.send("\\q\r")
        child.expect_exact("throwaway PostgreSQL removed")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("qadmin-pg-")]


def test_long_output_goes_through_the_pager(console):
    c = console(PAGER="sed s/^/PAGED:/")
    c.run("select g from generate_series(1, 100) g;")
    c.expect("PAGED:(100 rows)")
    c.run("select 'short' as s;")
    c.expect("(1 row)")
    assert "PAGED: short" not in c.screen()


def test_lost_connection_is_reset(console):
    c = console()
    c.run("select pg_terminate_backend(pg_backend_pid());")
    c.expect("connection to server lost")
    c.expect("Attempting reset: Succeeded")
    c.run("select 'back' as state;")
    c.expect("back")
