"""engine.db.ConnInfo without a database: parsing, libpq quoting, deriving, never a password."""

from __future__ import annotations

import psycopg2
import pytest
from hypothesis import given
from hypothesis import strategies as st
from psycopg2.extensions import parse_dsn

from engine.db import DAEMON_KEYS, ConnInfo

KEYS = ("host", "port", "user", "dbname", "password", "sslmode", "options", "application_name")
# libpq strings cannot hold NUL and are UTF-8 (no lone surrogates); anything else
# must survive quoting
VALUES = st.text(
    alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)),
    max_size=20,
)


@pytest.mark.parametrize(
    ("value", "quoted"),
    [
        ("plain", "plain"),
        ("", "''"),
        ("a b", "'a b'"),
        ("tab\there", "'tab\there'"),
        ("it's", r"'it\'s'"),
        ("back\\slash", r"'back\\slash'"),
        ("a=b", "a=b"),
    ],
)
def test_to_dsn_quotes_as_libpq_reads(value, quoted):
    info = ConnInfo.parse(user=value)
    assert info.to_dsn() == f"user={quoted}"
    assert parse_dsn(info.to_dsn()) == {"user": value}


@given(st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=len(KEYS)))
def test_round_trip_through_libpq(params):
    info = ConnInfo.parse(**params)
    assert parse_dsn(info.to_dsn()) == params if info else info.to_dsn() == ""
    assert ConnInfo.parse(info.to_dsn()) == info if info else True


@given(VALUES, VALUES)
def test_keywords_override_the_string(host, user):
    base = ConnInfo.parse(user="old", dbname="d", port=5432)
    info = ConnInfo.parse(base.to_dsn(), host=host, user=user)
    assert info.as_dict() == {"user": user, "dbname": "d", "port": "5432", "host": host}


def test_parse_a_string_a_uri_and_none_keywords():
    assert ConnInfo.parse("host=h dbname='my db'").as_dict() == {"host": "h", "dbname": "my db"}
    uri = ConnInfo.parse("postgresql://u@h:5433/d?sslmode=require")
    assert uri.as_dict() == {
        "user": "u",
        "dbname": "d",
        "host": "h",
        "port": "5433",
        "sslmode": "require",
    }
    assert ConnInfo.parse("host=h", host=None, port=None) == ConnInfo.parse("host=h")
    assert ConnInfo.parse() == ConnInfo() and not ConnInfo() and ConnInfo().to_dsn() == ""
    with pytest.raises(psycopg2.ProgrammingError, match="missing"):
        ConnInfo.parse("host")


def test_mapping_access_and_hashing():
    info = ConnInfo.parse(host="h", port=5)
    assert info["port"] == "5" and info.get("user") is None and info.get("user", "x") == "x"
    assert "host" in info and "user" not in info and list(info) == ["host", "port"]
    with pytest.raises(KeyError):
        info["user"]
    assert {info: 1}[ConnInfo.parse("host=h port=5")] == 1


def test_replace_and_merge():
    info = ConnInfo.parse("host=h dbname=a user=u")
    assert info.replace(dbname="b", port=1).as_dict() == {
        "host": "h",
        "dbname": "b",
        "user": "u",
        "port": "1",
    }
    assert "dbname" not in info.replace(dbname=None)
    assert info.merge({"user": "v"}) == info.replace(user="v")
    assert info.merge(ConnInfo.parse(user="v")) == info.replace(user="v")
    assert info.as_dict() == {"host": "h", "dbname": "a", "user": "u"}  # immutable


def test_a_password_is_never_shown():
    info = ConnInfo.parse("host=h password='s3cret x'", user="u")
    for text in (repr(info), str(info), f"{info}", repr([info])):
        assert "s3cret" not in text and "password=****" in text
    assert "password" not in info.without_password()
    assert info.without_password(mask=True)["password"] == "****"
    assert "s3cret" in info.to_dsn()  # only for connecting


def test_for_daemon_takes_where_from_libpq_and_how_from_the_description():
    info = ConnInfo.parse(
        "service=svc sslmode=require password=pw application_name=me",
        user="u",
        connect_timeout=7,
    )
    used = {"host": "/tmp", "hostaddr": "127.0.0.1", "port": "5433", "user": "u", "dbname": "d"}
    daemon = info.for_daemon(used)
    assert daemon.as_dict() == {
        "host": "/tmp",
        "port": "5433",
        "user": "u",
        "dbname": "d",
        "service": "svc",
        "sslmode": "require",
        "connect_timeout": "7",
    }
    assert set(daemon) <= set(DAEMON_KEYS) and "password" not in DAEMON_KEYS
    # a hostaddr given by the user stays; without libpq's view the description's keys
    assert "hostaddr" in info.replace(hostaddr="127.0.0.1").for_daemon(used)
    assert info.replace(password="x").for_daemon().as_dict() == {
        "user": "u",
        "service": "svc",
        "sslmode": "require",
        "connect_timeout": "7",
    }


@given(st.dictionaries(st.sampled_from(KEYS), VALUES.filter(bool), max_size=len(KEYS)))
def test_for_daemon_never_has_a_password(params):
    assert "password" not in ConnInfo.parse(**params).for_daemon()
