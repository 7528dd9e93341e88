import pytest
from django.db import OperationalError, transaction
from redis.exceptions import ConnectionError as RedisConnectionError

from timeclamp.outages import outlast_outages


def flaky(failures: list[Exception]):
    calls = []

    def call():
        calls.append(1)
        if failures:
            raise failures.pop(0)
        return "done"

    return call, calls


@pytest.mark.django_db(transaction=True)
def test_a_short_outage_is_waited_out_and_the_call_runs_again():
    call, calls = flaky([RedisConnectionError("closed"), OperationalError("server closed the connection")])
    waits = []
    assert outlast_outages(call, sleep=waits.append) == "done"
    assert len(calls) == 3
    assert len(waits) == 2
    assert waits[0] < waits[1]  # growing waits


@pytest.mark.django_db(transaction=True)
def test_a_long_outage_is_given_up_on_after_the_last_wait():
    call, calls = flaky([RedisConnectionError("down")] * 10)
    waits = []
    with pytest.raises(RedisConnectionError):
        outlast_outages(call, waits=(0.1, 0.2), sleep=waits.append)
    assert len(calls) == 3
    assert len(waits) == 2


def test_other_errors_are_not_retried():
    call, calls = flaky([ValueError("a bug")])
    with pytest.raises(ValueError, match="a bug"):
        outlast_outages(call, sleep=lambda s: None)
    assert len(calls) == 1


@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_nothing_is_repeated():
    call, calls = flaky([OperationalError("server closed the connection")])
    with pytest.raises(OperationalError), transaction.atomic():
        outlast_outages(call, sleep=lambda s: None)
    assert len(calls) == 1


@pytest.mark.django_db(transaction=True)
def test_a_redis_error_inside_a_transaction_is_still_waited_out():
    call, calls = flaky([RedisConnectionError("closed")])
    with transaction.atomic():
        assert outlast_outages(call, sleep=lambda s: None) == "done"
    assert len(calls) == 2
