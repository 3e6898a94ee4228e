"""Client settings for librdkafka: schemes, Java-only keys, secrets (no broker needed: clients are only made)."""

from __future__ import annotations

import pytest

from kstreams_nb.clients.base import supplier_for
from kstreams_nb.clients.confluent import ConfluentClientSupplier, ConfluentConsumer, ConfluentProducer
from kstreams_nb.clients.confluent._config import JAVA_ONLY_KEYS, librdkafka_config, split_bootstrap
from kstreams_nb.errors import ConfigError


def test_schemes_become_the_security_protocol_and_unknown_ones_are_refused() -> None:
    assert split_bootstrap("a:1, b:2") == ("a:1,b:2", None)
    assert split_bootstrap("SSL://a:1,SSL://b:2") == ("a:1,b:2", "ssl")
    assert librdkafka_config({"bootstrap.servers": "SASL_PLAINTEXT://h:9"}, "admin")["security.protocol"] == (
        "sasl_plaintext")
    with pytest.raises(ConfigError, match=r"unknown scheme 'memry'://.*memory://NAME"):
        split_bootstrap("memry://x")
    with pytest.raises(ConfigError, match="mixes security protocols"):
        split_bootstrap("SSL://a:1,PLAINTEXT://b:2")
    with pytest.raises(ConfigError, match="empty"):
        split_bootstrap(" , ")


def test_supplier_for_picks_the_confluent_client_for_host_port_lists() -> None:
    supplier = supplier_for("127.0.0.1:9")
    assert isinstance(supplier, ConfluentClientSupplier)
    assert supplier.bootstrap_servers == "127.0.0.1:9"


def test_java_only_keys_are_mapped_dropped_or_refused_with_what_to_use() -> None:
    out = librdkafka_config({"bootstrap.servers": "h:1", "max.poll.records": 10, "fetch.max.wait.ms": 50,
                             "receive.buffer.bytes": 4096, "key.deserializer": "x", "group.id": "g"}, "consumer")
    assert out == {"bootstrap.servers": "h:1", "fetch.wait.max.ms": 50, "socket.receive.buffer.bytes": 4096,
                   "group.id": "g"}
    for key, mapped in JAVA_ONLY_KEYS.items():
        if isinstance(mapped, tuple):
            with pytest.raises(ConfigError, match=rf"{key} is a Java client setting librdkafka does not have"):
                librdkafka_config({key: "v"}, "producer")


def test_a_plain_jaas_config_becomes_username_and_password() -> None:
    jaas = 'org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p\\"w";'
    out = librdkafka_config({"sasl.jaas.config": jaas, "sasl.mechanism": "PLAIN"}, "producer")
    assert out == {"sasl.username": "u", "sasl.password": 'p\\"w', "sasl.mechanism": "PLAIN"}
    with pytest.raises(ConfigError, match="only the PLAIN and SCRAM login modules"):
        librdkafka_config({"sasl.jaas.config": "com.example.Kerberos required;"}, "producer")


def test_an_unknown_key_is_refused_by_name_and_secret_values_never_show() -> None:
    with pytest.raises(ConfigError, match=r"invalid consumer configuration: .*no\.such\.key"):
        ConfluentConsumer({"bootstrap.servers": "127.0.0.1:9", "group.id": "g", "no.such.key": 1})
    secret = "hunter2-very-secret"
    with pytest.raises(ConfigError) as raised:  # an invalid value next to the secret: the error names no secret
        ConfluentProducer({"bootstrap.servers": "127.0.0.1:9", "sasl.password": secret, "linger.ms": "soon"})
    assert secret not in str(raised.value)
    assert 'Invalid value for configuration property "queue.buffering.max.ms"' in str(raised.value)  # linger.ms


def test_only_the_range_assignor_and_known_reset_policies_are_accepted() -> None:
    with pytest.raises(ConfigError, match="only the range assignor"):
        ConfluentConsumer({"bootstrap.servers": "127.0.0.1:9", "partition.assignment.strategy": "roundrobin"})
    with pytest.raises(ConfigError, match=r"auto\.offset\.reset must be"):
        ConfluentConsumer({"bootstrap.servers": "127.0.0.1:9", "auto.offset.reset": "smallest-ish"})
