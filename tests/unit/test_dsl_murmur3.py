"""kstreams_nb.dsl._murmur3 against the vectors of Kafka's Murmur3Test.testMurmur3_128 (seed 123)."""

from __future__ import annotations

import pytest

from kstreams_nb.dsl._murmur3 import DEFAULT_SEED, hash128

CASES = [
    (b"21", (5857341059704281894, -5288187638297930763)),
    (b"foobar", (-351361463397418609, 8959716011862540668)),
    (b"a-little-bit-long-string", (8836256500583638442, -198172363548498523)),
    (b"a-little-bit-longer-string", (1838346159335108511, 8794688210320490705)),
    (b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", (-4024021876037397259, -1482317706335141238)),
    (b"abc", (1489494923063836066, -5440978547625122829)),
]


@pytest.mark.parametrize(("data", "expected"), CASES, ids=[c[0].decode() for c in CASES])
def test_murmur3_128_matches_kafka(data: bytes, expected: tuple[int, int]) -> None:
    """Murmur3Test.testMurmur3_128."""
    assert hash128(data, seed=123) == expected


def test_default_seed_is_kafkas() -> None:
    assert DEFAULT_SEED == 104729
    assert hash128(b"abc") != hash128(b"abc", seed=123)
    assert hash128(b"") == hash128(b"", seed=DEFAULT_SEED)
