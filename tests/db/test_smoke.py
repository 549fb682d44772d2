def test_template_has_pgq(db):
    assert db.scalar("select pgq.version()") == "3.6.0"
    assert db.scalar("select pgq_coop.version()") == "3.6.0"


def test_many(db):
    assert db.scalar("select 1") == 1


def test_many2(db):
    assert db.scalar("select 1") == 1
