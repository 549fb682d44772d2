"""prompt_toolkit adapter: the pure complete() over the catalog the shell holds."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from qadmin.catalog import Catalog
from qadmin.complete.match import complete

__all__ = ["QadminCompleter"]


class QadminCompleter(Completer):
    """Completion from the grammar and the current catalog snapshot; runs no SQL."""

    def __init__(
        self,
        get_catalog: Callable[[], Catalog],
        get_default_queue: Callable[[], str | None] = lambda: None,
    ) -> None:
        self.get_catalog = get_catalog
        self.get_default_queue = get_default_queue

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterable[Completion]:
        for c in complete(
            document.text_before_cursor,
            self.get_catalog(),
            document.text_after_cursor,
            self.get_default_queue(),
        ):
            yield Completion(c.text, c.start_position, display_meta=c.display_meta)
