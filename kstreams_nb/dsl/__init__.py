"""The Streams DSL: StreamsBuilder, KStream, KTable, grouped and windowed streams, and their options."""

from kstreams_nb.dsl.builder import StreamsBuilder
from kstreams_nb.dsl.cogroup import CogroupedKStream, SessionWindowedCogroupedKStream, TimeWindowedCogroupedKStream
from kstreams_nb.dsl.global_table import GlobalKTable
from kstreams_nb.dsl.grouped import KGroupedStream, KGroupedTable
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
    TableJoined,
)
from kstreams_nb.dsl.suppress import BufferConfig, BufferFullStrategy, Suppressed
from kstreams_nb.dsl.table import Change
from kstreams_nb.dsl.windowed import SessionWindowedKStream, TimeWindowedKStream
from kstreams_nb.dsl.windows import (
    EmitStrategy,
    JoinWindows,
    SessionWindows,
    SlidingWindows,
    StrategyType,
    TimeWindowedSerde,
    TimeWindows,
    WindowedSerdes,
)

__all__ = [
    "Branched",
    "BranchedKStream",
    "BufferConfig",
    "BufferFullStrategy",
    "Change",
    "CogroupedKStream",
    "Consumed",
    "EmitStrategy",
    "GlobalKTable",
    "Grouped",
    "Joined",
    "KGroupedStream",
    "KGroupedTable",
    "KStream",
    "KTable",
    "Materialized",
    "Named",
    "Printed",
    "Produced",
    "Repartitioned",
    "SessionWindowedCogroupedKStream",
    "SessionWindowedKStream",
    "SessionWindows",
    "SlidingWindows",
    "StrategyType",
    "StreamJoined",
    "TableJoined",
    "StreamsBuilder",
    "Suppressed",
    "TimeWindowedCogroupedKStream",
    "TimeWindowedKStream",
    "TimeWindowedSerde",
    "JoinWindows",
    "TimeWindows",
    "WindowedSerdes",
]
