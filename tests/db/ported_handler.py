"""Handlers written as for Skytools' pgq.Consumer, loaded by daemons as
``python:tests.db.ported_handler.<Class>``: the original's Event spellings, self.cf,
self.log, ev.tag_retry() / ev.tag_done()."""

from __future__ import annotations

from engine.consumer import Consumer


class PortedAudit(Consumer):
    """process_event in the original's style: ev.ev_*, ev['ev_*'], a cursor on db."""

    def process_event(self, db, ev):  # type: ignore[no-untyped-def]
        table = self.cf.get("audit_table", "audit")
        if ev.ev_type == "flaky" and not ev.ev_retry:
            self.log.info("event %s not ready yet, again in a second", ev.ev_id)
            ev.tag_retry(1)
            return
        curs = db.cursor()
        curs.execute(
            "insert into " + table + " (ev_id, ev_type, ev_data, ev_extra1, ev_retry,"
            " queue_name, as_text)"
            " values (%s, %s, %s, %s, %s, %s, %s)",
            [
                ev.ev_id,
                ev["ev_type"],
                ev.ev_data,
                ev.get("ev_extra1"),
                ev.ev_retry,
                ev.queue_name,
                str(ev),
            ],
        )
        ev.tag_done()


class PortedBatch(Consumer):
    """process_batch in the original's style: a list of events, one insert per event."""

    def process_batch(self, db, batch_id, ev_list):  # type: ignore[no-untyped-def]
        curs = db.cursor()
        for ev in ev_list:
            if ev.has_key("ev_data") and ev["ev_data"] == "skip":
                continue
            curs.execute(
                "insert into audit (ev_id, ev_type, ev_data, batch_id) values (%s, %s, %s, %s)",
                [ev.ev_id, ev.ev_type, ev.ev_data, batch_id],
            )
