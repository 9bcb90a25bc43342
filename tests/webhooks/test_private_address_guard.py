"""The private-address guard: at request time (clean_webhook_url) and at delivery.

No test here can send a request anywhere but loopback even if the guard were
broken: names are answered from a table (HostsResolver, installed as the
guard's resolver) and the only addresses ever connectable are 127.0.0.x, where
a receiver counts connections. Other addresses appear only in lookups that the
request-time check makes without connecting.
"""

from __future__ import annotations

import logging

import pytest

from core.exceptions import BadRequest
from core.ssrf import is_public_address
from webhooks.models import WebhookDelivery
from webhooks.services import (
    InvalidWebhookUrl,
    clean_webhook_url,
    delivery_attempt,
    delivery_create,
)

# A public address for lookups that the request-time check makes without connecting.
PUBLIC = "203.0.114.7"


@pytest.fixture
def guard_on(settings) -> None:
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.0.0.2",
        "127.255.255.254",
        "10.0.0.5",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "169.254.1.1",
        "100.64.0.1",
        "100.127.255.254",
        "0.0.0.0",
        "224.0.0.1",
        "239.255.255.250",
        "240.0.0.1",
        "255.255.255.255",
        "192.0.2.1",
        "198.18.0.1",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "fd00:ec2::254",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.5",
        "::ffff:169.254.169.254",
        "64:ff9b::a00:5",
        "2002:a00:5::1",
        "2001:db8::1",
    ],
)
def test_it_refuses_non_public_addresses(address):
    assert not is_public_address(address)


@pytest.mark.parametrize(
    "address", [PUBLIC, "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8", "100.128.0.1"]
)
def test_it_accepts_public_addresses(address):
    assert is_public_address(address)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://hooks.test/x", "webhookUrl must use http or https"),
        ("javascript:alert(1)", "webhookUrl must use http or https"),
        ("file:///etc/passwd", "webhookUrl must use http or https"),
        ("hooks.test/x", "webhookUrl must use http or https"),
        ("http:///x", "webhookUrl has no host"),
        ("http://hooks.test:99999/x", "webhookUrl is not a valid URL"),
    ],
)
def test_it_refuses_urls_that_are_not_http_whatever_the_setting(settings, url, message):
    for allow_private in (False, True):
        settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = allow_private
        with pytest.raises(InvalidWebhookUrl) as caught:
            clean_webhook_url(url)
        assert caught.value.message == message
        assert isinstance(caught.value, BadRequest)
        assert caught.value.status_code == 400


@pytest.mark.parametrize(
    ("table", "url", "address"),
    [
        ({"internal.test": ["10.0.0.5"]}, "https://internal.test/hook", "10.0.0.5"),
        ({"metadata.test": ["169.254.169.254"]}, "http://metadata.test/", "169.254.169.254"),
        ({"v6.test": ["fd00:ec2::254"]}, "http://v6.test/", "fd00:ec2::254"),
        ({"mapped.test": ["::ffff:127.0.0.1"]}, "http://mapped.test/", "::ffff:127.0.0.1"),
        # Every address must be public, not just one of them.
        ({"mixed.test": [PUBLIC, "192.168.0.10"]}, "http://mixed.test/", "192.168.0.10"),
    ],
)
def test_it_refuses_names_that_resolve_to_a_private_address(
    guard_on, hosts, caplog, table, url, address
):
    hosts(table)

    with (
        caplog.at_level(logging.INFO, logger="core.ssrf"),
        pytest.raises(InvalidWebhookUrl) as caught,
    ):
        clean_webhook_url(url)

    # The refusal names no internal address; the log does.
    assert caught.value.message == "webhookUrl resolves to a private address"
    assert address in caplog.text


@pytest.mark.parametrize(
    ("host", "address"),
    [("127.0.0.1", "127.0.0.1"), ("[::1]", "::1"), ("2130706433", "127.0.0.1")],
)
def test_it_refuses_loopback_literals_with_the_system_resolver(guard_on, host, address):
    with pytest.raises(InvalidWebhookUrl) as caught:
        clean_webhook_url(f"http://{host}:8000/hook")

    assert caught.value.message == "webhookUrl resolves to a private address"


def test_it_refuses_a_host_that_does_not_resolve(guard_on, hosts):
    hosts({})

    with pytest.raises(InvalidWebhookUrl) as caught:
        clean_webhook_url("https://nowhere.test/hook")

    assert caught.value.message == "webhookUrl host does not resolve"


def test_it_accepts_a_public_target(guard_on, hosts):
    hosts({"hooks.test": [PUBLIC]})

    assert clean_webhook_url(" https://hooks.test/imagekit?x=1 ") == (
        "https://hooks.test/imagekit?x=1"
    )


def test_it_accepts_private_targets_without_a_lookup_when_the_setting_allows(settings, hosts):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    resolver = hosts({})

    assert clean_webhook_url("http://10.0.0.5/hook") == "http://10.0.0.5/hook"
    assert clean_webhook_url("http://anything.test/") == "http://anything.test/"
    assert resolver.lookups == []


def test_it_refuses_to_connect_to_a_loopback_receiver_at_delivery(guard_on, db, receiver):
    delivery = delivery_create(url=receiver.url(), event="extension.success", payload={})

    attempt = delivery_attempt(delivery_id=delivery.pk)

    assert attempt.error == "Refused: the URL resolves to a private address"
    assert attempt.status_code is None
    assert receiver.connections == 0
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.PENDING


def test_it_refuses_a_name_that_rebinds_to_loopback_after_the_check(guard_on, db, hosts, receiver):
    # Public when the URL is checked, loopback by the time of the delivery.
    resolver = hosts({"rebind.test": [[PUBLIC], ["127.0.0.1"]]})
    url = clean_webhook_url(receiver.url(host="rebind.test"))
    delivery = delivery_create(url=url, event="extension.success", payload={})

    attempt = delivery_attempt(delivery_id=delivery.pk)

    assert attempt.error == "Refused: the URL resolves to a private address"
    assert receiver.connections == 0
    assert resolver.lookups == ["rebind.test", "rebind.test"]


def test_it_connects_to_the_address_it_checked_without_a_second_lookup(db, hosts, receiver):
    # The guard is off (loopback allowed) so that a connection can be made at all.
    # "receiver.test" exists only in the table: any other lookup would fail.
    resolver = hosts({"receiver.test": ["127.0.0.1"]})
    delivery = delivery_create(
        url=receiver.url(host="receiver.test"), event="extension.success", payload={"a": 1}
    )

    attempt = delivery_attempt(delivery_id=delivery.pk)

    assert attempt.status_code == 200
    assert resolver.lookups == ["receiver.test"]
    [request] = receiver.requests
    assert request.headers["host"] == f"receiver.test:{receiver.port}"


def test_it_tries_the_next_checked_address_when_one_does_not_answer(db, hosts, receiver):
    hosts({"receiver.test": ["127.0.0.3", "127.0.0.1"]})
    delivery = delivery_create(
        url=receiver.url(host="receiver.test"), event="extension.success", payload={}
    )

    assert delivery_attempt(delivery_id=delivery.pk).status_code == 200
