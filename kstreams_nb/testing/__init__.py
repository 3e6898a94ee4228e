"""Test a topology without a broker: TopologyTestDriver, TestInputTopic, TestOutputTopic, TestRecord."""

from kstreams_nb.testing.driver import TopologyTestDriver
from kstreams_nb.testing.topics import TestInputTopic, TestOutputTopic, TestRecord

__all__ = ["TestInputTopic", "TestOutputTopic", "TestRecord", "TopologyTestDriver"]
