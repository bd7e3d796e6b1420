"""The figures RELIABILITY.md quotes for the secret stores, measured on the real servers.

Simulated time (a fake clock injected into the cache and the source's lease
accounting) drives ten minutes of background refreshing in well under a
second of real time; the servers are real, so every fetch is a real login,
renewal, AssumeRoleWithWebIdentity or secret read. The numbers go to
``secret-store-figures.json`` in pytest's base temporary folder.
"""

from __future__ import annotations

import json

import pytest

from tests.credentials.helpers import FakeClock
from tests.credentials.secret_stores.conftest import AwsSetup, VaultSetup, new_key, record_figures
from workspace_otel.credentials import (
    AwsSecretsManagerSource,
    RefreshingTokenCache,
    VaultSecretSource,
    token_source_from_env,
)

STEP = 0.5
MINUTES = 10


def _run(cache: RefreshingTokenCache, clock: FakeClock, seconds: float) -> None:
    elapsed = 0.0
    while elapsed < seconds:
        cache.poll()
        clock.advance(STEP)
        elapsed += STEP


def _just_after_a_read(cache: RefreshingTokenCache, clock: FakeClock) -> None:
    """Step until a read happens, then 1 s more: the rotation lands at the worst moment."""
    before = cache.fetch_count
    while cache.fetch_count == before:
        cache.poll()
        clock.advance(STEP)
    clock.advance(1.0)


def _pickup(cache: RefreshingTokenCache, clock: FakeClock, new: str) -> float:
    waited = 0.0
    while cache.token().value != new:
        cache.poll()
        clock.advance(STEP)
        waited += STEP
        assert waited < 600, "the rotation was never picked up"
    return waited


def test_vault_fetches_per_lease_and_rotation_pickup(
    vault_setup: VaultSetup, clock: FakeClock, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Ten simulated minutes with a 30 s Vault lease and the default 60 s interval."""
    source = token_source_from_env()
    assert isinstance(source, VaultSecretSource)
    source._monotonic = lambda: clock.mono_now
    cache = RefreshingTokenCache(source, clock=clock.clock, background=False)
    cache.token()
    _run(cache, clock, MINUTES * 60)
    leases = MINUTES * 60 / 30
    reads = cache.fetch_count
    # Renewing at half the lease means about two reads per lease; never more.
    assert reads <= 2 * leases + 1
    assert source.logins == 1
    _just_after_a_read(cache, clock)
    new = new_key("FigureRotation")
    vault_setup.bao.put_secret(new)
    pickup = _pickup(cache, clock, new)
    assert pickup <= 15.0  # the lease, not the interval, sets the pace here
    record_figures(
        tmp_path_factory,
        "vault",
        {
            "simulated_minutes": MINUTES,
            "vault_lease_s": 30,
            "secret_reads": reads,
            "reads_per_lease": round(reads / leases, 2),
            "logins": source.logins,
            "renewals": source.renewals,
            "rotation_pickup_s": pickup,
            "revalidate_interval_default_s": 60,
        },
    )


def test_aws_fetches_per_interval_and_rotation_pickup(
    aws_setup: AwsSetup, clock: FakeClock, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Ten simulated minutes with the default 60 s interval and 1 h STS credentials."""
    source = token_source_from_env()
    assert isinstance(source, AwsSecretsManagerSource)
    source._monotonic = lambda: clock.mono_now
    cache = RefreshingTokenCache(source, clock=clock.clock, background=False)
    cache.token()
    _run(cache, clock, MINUTES * 60)
    reads = cache.fetch_count
    assert reads <= MINUTES + 1
    assert source.assumptions == 1
    _just_after_a_read(cache, clock)
    new = new_key("FigureAwsRotation")
    aws_setup.moto.rotate_by_stages(aws_setup.secret_id, json.dumps({"access_token": new}))
    pickup = _pickup(cache, clock, new)
    assert pickup <= 60.0
    record_figures(
        tmp_path_factory,
        "aws",
        {
            "simulated_minutes": MINUTES,
            "get_secret_value_calls": reads,
            "assume_role_calls": source.assumptions,
            "rotation_pickup_s": pickup,
        },
    )
