"""Key bindings: Enter runs a finished statement, else starts a new line."""

from __future__ import annotations

from prompt_toolkit.enums import DEFAULT_BUFFER
from prompt_toolkit.filters import has_focus
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent

from qadmin.scan import ends_statement

__all__ = ["build_key_bindings"]


def build_key_bindings() -> KeyBindings:
    kb = KeyBindings()

    in_input = has_focus(DEFAULT_BUFFER)

    @kb.add("enter", filter=in_input)
    def _enter(event: KeyPressEvent) -> None:
        """Run the buffer when its last statement ends with ; (outside quotes/comments).

        A syntax error does not hold the input back: it runs, and the error is
        reported with its place, as in psql; the validator has shown it already.
        """
        buff = event.current_buffer
        if buff.complete_state is not None:
            buff.complete_state = None
        if ends_statement(buff.text):
            buff.append_to_history()
            event.app.exit(result=buff.document.text)
        else:
            buff.insert_text("\n")

    @kb.add("escape", "enter", filter=in_input)
    def _newline(event: KeyPressEvent) -> None:
        """Alt-Enter always inserts a new line."""
        event.current_buffer.insert_text("\n")

    return kb
