"""API keys: created with a secret shown once, stored hashed, listed, checked and revoked."""

from __future__ import annotations

import asyncio
import hashlib

import pytest
import sqlalchemy as sa

from dlrkit.errors import InputError
from dlrkit.store.engine import engine_for
from dlrkit.store.schema import api_keys
from dlrkit.store.sql import SqlStore

run = asyncio.run


def stored_rows(url: str) -> list[sa.Row[tuple[object, ...]]]:
    engine = engine_for(url, pool_size=1)
    try:
        with engine.connect() as connection:
            return list(connection.execute(sa.select(api_keys).order_by(api_keys.c.created_at)))
    finally:
        engine.dispose()


def test_create_list_check_revoke(store: SqlStore) -> None:
    ci, ci_secret = run(store.create_key("ci"))
    ops, ops_secret = run(store.create_key("  ops  "))
    assert (ci.name, ops.name) == ("ci", "ops")
    assert ci_secret.startswith("dlrk_")
    assert len(ci_secret) > 40
    assert ci_secret.startswith(ci.prefix)
    assert len(ci.prefix) == 12
    assert ci.id != ops.id
    assert ci.revoked_at is None
    assert ci.created_at.endswith("Z")

    assert run(store.list_keys()) == [ci, ops]
    assert run(store.check_key(ci_secret)) == ci
    assert run(store.check_key(ops_secret)) == ops

    assert run(store.revoke_key(ci.id)) is True
    assert run(store.revoke_key(ci.id)) is False  # already revoked
    assert run(store.revoke_key("no-such-key")) is False
    assert run(store.revoke_key("\x00")) is False
    assert run(store.check_key(ci_secret)) is None
    assert run(store.check_key(ops_secret)) == ops
    listed = run(store.list_keys())
    assert [k.id for k in listed] == [ci.id, ops.id]
    assert listed[0].revoked_at is not None
    assert listed[1].revoked_at is None


def test_only_the_hash_is_stored(store: SqlStore) -> None:
    key, secret = run(store.create_key("ci"))
    (row,) = stored_rows(store.url)
    assert row.secret_sha256 == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in [str(value) for value in row]
    assert row.prefix == key.prefix


@pytest.mark.parametrize(
    "guess",
    ["", "dlrk_", "nope", "dlrk_" + "A" * 43, "x" * 10_000, "dlrk_\x00", "dlrk_\ud800"],
    ids=["empty", "prefix-only", "foreign", "same-shape", "huge", "nul", "surrogate"],
)
def test_wrong_secrets_are_refused(store: SqlStore, guess: str) -> None:
    run(store.create_key("ci"))
    assert run(store.check_key(guess)) is None


def test_a_secret_with_the_right_prefix_but_wrong_rest_is_refused(store: SqlStore) -> None:
    _, secret = run(store.create_key("ci"))
    forged = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    assert run(store.check_key(forged)) is None


@pytest.mark.parametrize("name", ["", "   ", "n" * 201, "a\x00b"])
def test_a_key_needs_a_name(store: SqlStore, name: str) -> None:
    with pytest.raises(InputError) as raised:
        run(store.create_key(name))
    assert raised.value.field == "name"
