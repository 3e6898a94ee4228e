"""The Streams DSL: StreamsBuilder, KStream, KTable, grouped and windowed streams, and their options."""

from kstreams_nb.dsl.builder import StreamsBuilder
from kstreams_nb.dsl.grouped import KGroupedStream
from kstreams_nb.dsl.kstream import BranchedKStream, KStream
from kstreams_nb.dsl.ktable import KTable
from kstreams_nb.dsl.options import (
    Branched,
    Consumed,
    Grouped,
    Joined,
    Materialized,
    Named,
    Printed,
    Produced,
    Repartitioned,
    StreamJoined,
)
from kstreams_nb.dsl.table import Change

__all__ = [
    "Branched",
    "BranchedKStream",
    "Change",
    "Consumed",
    "Grouped",
    "Joined",
    "KGroupedStream",
    "KStream",
    "KTable",
    "Materialized",
    "Named",
    "Printed",
    "Produced",
    "Repartitioned",
    "StreamJoined",
    "StreamsBuilder",
]
