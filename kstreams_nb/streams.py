"""KafkaStreams: run a topology on a broker (the embedded one by default), with Kafka's lifecycle.

The process keeps a registry of its live instances (started, not yet NOT_RUNNING or ERROR; weakly held):
``KafkaStreams.running()`` lists them.

**Origin seam.** An interactive front end can tell which piece of code started an instance, so that running that
code again replaces what it started instead of adding one more group member. An *origin provider* is a
zero-argument callable returning ``(origin_key, run_token)`` (opaque, compared with ``==``) or None when it does
not know; :func:`register_origin_provider` installs one. When ``start()`` finds an origin, every live instance
with the same key and a different token (started by an earlier run of the same code) is closed first, logged at
INFO; instances with other keys, or with the same token (several started by one run, e.g. in a loop), are kept.
When IPython is loaded and no provider is registered, ``start()`` loads ``kstreams_nb.notebook._hygiene`` by
module name (as ``clients.base`` loads clients), which registers a provider keyed by the notebook cell; this
module never imports the notebook layer itself.

Example::

    >>> from kstreams_nb import Topology
    >>> t = Topology().add_source("src", "in").add_sink("sink", "out", "src")
    >>> streams = KafkaStreams(t, {"application.id": "doc", "bootstrap.servers": "memory://doc-example"})
    >>> streams.state()
    <State.CREATED: 'CREATED'>
    >>> streams in KafkaStreams.running()
    False
"""

from __future__ import annotations

import enum
import importlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any, cast

from kstreams_nb._engine.control import ControlListener, ShutdownRequest, send_shutdown_request
from kstreams_nb._engine.global_thread import GlobalStreamThread
from kstreams_nb._engine.metrics import MetricName, StreamsMetrics
from kstreams_nb._engine.origins import LiveInstances, Origin, OriginProvider, current_origin, register_origin_provider
from kstreams_nb._engine.processor_topology import ProcessorTopology, compile_topology
from kstreams_nb._engine.query import CompositeReadOnlyKeyValueStore, CompositeReadOnlyWindowStore
from kstreams_nb._engine.remote_sinks import check_remote_sinks
from kstreams_nb._engine.task import TaskState
from kstreams_nb._engine.thread import StreamThread, ThreadState
from kstreams_nb._engine.topics import TopicPlan, plan_topics
from kstreams_nb._time import Clock, SystemClock, to_millis
from kstreams_nb.clients.base import Admin, ClientSupplier, check_bootstrap_servers, supplier_for
from kstreams_nb.config import StreamsConfig
from kstreams_nb.errors import (
    ConfigError,
    InvalidStateStoreError,
    StreamsStateError,
    TopicExistsError,
    TopologyError,
    UnknownStateStoreError,
)
from kstreams_nb.records import TopicPartition
from kstreams_nb.state.directory import clean_up_application

__all__ = ["KafkaStreams", "MetricName", "OriginProvider", "State", "register_origin_provider"]

log = logging.getLogger(__name__)

_live: LiveInstances[KafkaStreams] = LiveInstances()
_CLOSE_EARLIER_RUN_TIMEOUT = 60.0
#: Kafka's StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse names
_RESPONSES = ("REPLACE_THREAD", "SHUTDOWN_CLIENT", "SHUTDOWN_APPLICATION")


def _seconds(timeout: float | timedelta) -> float:
    return timeout.total_seconds() if isinstance(timeout, timedelta) else float(timeout)


def _response(answer: object) -> str:
    """The uncaught-exception handler's answer as one of Kafka's response names (a string, any case, or an enum
    member with that name); ConfigError for anything else."""
    name = answer.name if isinstance(getattr(answer, "name", None), str) else answer  # type: ignore[attr-defined]
    if isinstance(name, str) and name.upper() in _RESPONSES:
        return name.upper()
    raise ConfigError(
        f"the uncaught exception handler returned {answer!r}; it must return one of {', '.join(_RESPONSES)}"
    )


class State(enum.Enum):
    """Kafka's KafkaStreams.State."""

    CREATED = "CREATED"
    REBALANCING = "REBALANCING"
    RUNNING = "RUNNING"
    PENDING_SHUTDOWN = "PENDING_SHUTDOWN"
    NOT_RUNNING = "NOT_RUNNING"
    PENDING_ERROR = "PENDING_ERROR"
    ERROR = "ERROR"

    def is_running_or_rebalancing(self) -> bool:
        """True in RUNNING or REBALANCING."""
        return self in (State.RUNNING, State.REBALANCING)


_S = State
_TRANSITIONS = {
    _S.CREATED: {_S.REBALANCING, _S.PENDING_SHUTDOWN, _S.PENDING_ERROR},
    _S.REBALANCING: {_S.RUNNING, _S.REBALANCING, _S.PENDING_SHUTDOWN, _S.PENDING_ERROR},
    _S.RUNNING: {_S.REBALANCING, _S.RUNNING, _S.PENDING_SHUTDOWN, _S.PENDING_ERROR},
    _S.PENDING_SHUTDOWN: {_S.NOT_RUNNING},
    _S.NOT_RUNNING: set(),
    _S.PENDING_ERROR: {_S.ERROR},
    _S.ERROR: set(),
}


class KafkaStreams:
    """A running instance of a topology: ``start()``, ``state()``, ``close()``.

    ``config`` is a StreamsConfig or a mapping of Kafka's dotted keys; ``application.id`` is required.
    Without ``bootstrap.servers`` the embedded broker ``memory://default`` is used.
    """

    def __init__(
        self,
        topology: Any,
        config: StreamsConfig | Mapping[str, Any],
        *,
        client_supplier: ClientSupplier | None = None,
        clock: Clock | None = None,
    ) -> None:
        builder = getattr(topology, "internal_builder", None)
        if builder is None and callable(getattr(topology, "build", None)):
            topology = topology.build()  # a StreamsBuilder, as the test driver accepts
            builder = topology.internal_builder
        if builder is None:
            raise TopologyError(f"expected a Topology (from Topology() or StreamsBuilder.build()), got {topology!r}")
        self._topology = topology
        self._builder = builder
        self.config = config if isinstance(config, StreamsConfig) else StreamsConfig(config)
        if client_supplier is None:  # a misspelled scheme fails here, not at start()
            check_bootstrap_servers(str(self.config["bootstrap.servers"]))
        self._clock: Clock = clock or SystemClock()
        self._supplier = client_supplier
        self._state = State.CREATED
        self._cond = threading.Condition()
        self._listener: Callable[[State, State], None] | None = None
        self._handler: Callable[[BaseException], str] | None = None
        self._threads: list[StreamThread] = []
        self._threads_lock = threading.Lock()
        self._stopping = False
        self._global_thread: GlobalStreamThread | None = None
        self._control: ControlListener | None = None
        self._answers: dict[StreamThread, tuple[str, BaseException]] = {}  # failing thread -> handler's answer
        self.process_id = uuid.uuid4()
        self.plan: TopicPlan | None = None
        #: the compiled topology the tasks run (set by start())
        self.compiled: ProcessorTopology | None = None
        self.exception: BaseException | None = None
        self._origin: Origin | None = None
        self._live_key: int | None = None
        self._metrics = StreamsMetrics(self._clock, self.config)
        self._admin: Admin | None = None  # committed_offsets()' admin client, kept while the instance runs
        self._admin_lock = threading.Lock()

    # ------------------------------------------------------------------ state
    def state(self) -> State:
        """The current state."""
        return self._state

    def set_state_listener(self, listener: Callable[[State, State], None]) -> None:
        """Call ``listener(new_state, old_state)`` on every change (must be set before ``start()``)."""
        if self._state is not State.CREATED:
            raise StreamsStateError("set_state_listener() must be called before start()")
        self._listener = listener

    def set_uncaught_exception_handler(self, handler: Callable[[BaseException], Any]) -> None:
        """Decide what happens when a stream thread dies of ``exception``: ``handler(exception)`` returns one of
        Kafka's answers (any case): ``"SHUTDOWN_CLIENT"`` (the default: this instance closes to ERROR),
        ``"REPLACE_THREAD"`` (a new thread takes the dead one's place) or ``"SHUTDOWN_APPLICATION"`` (every
        instance of the ``application.id`` closes to ERROR: the request travels over the internal topic
        ``<application.id>-control``, and instances started later are not affected). Any other answer closes this
        instance to ERROR with a ConfigError. Example:
        ``streams.set_uncaught_exception_handler(lambda e: "SHUTDOWN_APPLICATION")``.
        """
        if self._state is not State.CREATED:
            raise StreamsStateError("set_uncaught_exception_handler() must be called before start()")
        self._handler = handler

    def _set_state(self, new: State) -> bool:
        with self._cond:
            old = self._state
            if old is new and new not in _TRANSITIONS[old]:
                return False
            if new not in _TRANSITIONS[old]:
                if old in (State.PENDING_SHUTDOWN, State.NOT_RUNNING, State.PENDING_ERROR, State.ERROR):
                    return False
                raise StreamsStateError(f"KafkaStreams: invalid transition from {old.name} to {new.name}")
            self._state = new
            self._cond.notify_all()
        if new in (State.NOT_RUNNING, State.ERROR):
            _live.discard(self._live_key)
        if self._listener is not None and old is not new:
            try:
                self._listener(new, old)
            except Exception:
                log.exception("state listener failed")
        return True

    def wait_for_state(self, *states: State, timeout: float | timedelta = 30.0) -> bool:
        """Block until the state is one of ``states`` (True) or the timeout passes (False).

        Returns False at once when the instance is in ERROR or NOT_RUNNING (final states) and that is not among
        ``states``. Example: ``streams.wait_for_state(State.RUNNING, timeout=30)``.
        """
        final = {State.ERROR, State.NOT_RUNNING}.difference(states)
        with self._cond:
            self._cond.wait_for(lambda: self._state in states or self._state in final, _seconds(timeout))
            return self._state in states

    @staticmethod
    def running() -> list[KafkaStreams]:
        """The live instances of this process (started, not yet NOT_RUNNING or ERROR), oldest first.

        Example: ``for s in KafkaStreams.running(): s.close()``.
        """
        return [s for s in _live.snapshot() if s._state not in (State.NOT_RUNNING, State.ERROR)]

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Check the config and topics, create internal topics, and start the stream threads."""
        if self._state is not State.CREATED:
            raise StreamsStateError(f"start() can only be called once, in CREATED state (now {self._state.name})")
        app_id = self.config.application_id
        if not app_id:
            raise ConfigError("Missing required configuration \"application.id\" which has no default value.")
        reset = self.config["auto.offset.reset"]
        if reset not in ("earliest", "latest", "none"):
            raise ConfigError(f"auto.offset.reset must be 'earliest', 'latest' or 'none', got {reset!r}")
        self._builder.validate()
        self._origin = current_origin()
        if self._origin is not None:
            self._close_earlier_runs(self._origin)
        supplier = self._supplier or supplier_for(str(self.config["bootstrap.servers"]))
        self._supplier = supplier
        #: what every task is built from: later edits of the user's Topology do not reach them
        compiled = compile_topology(self._builder, app_id)
        check_remote_sinks(compiled, self.config)  # sinks writing to other clusters: configured, topics there
        admin = supplier.admin(self.config.for_client("admin."))
        try:
            existing = {t: admin.partitions_for(t) or 0 for t in admin.list_topics()}
            plan = plan_topics(compiled, existing, self.config)
            for topic, partitions in plan.internal_topics.items():
                have = existing.get(topic)
                if have is None:
                    try:
                        admin.create_topic(topic, partitions, plan.topic_configs.get(topic))
                    except TopicExistsError:  # another instance of the application created it just now
                        have = admin.partitions_for(topic)
                if have is not None and have != partitions:
                    raise TopologyError(
                        f"internal topic {topic} has {have} partitions but the application needs {partitions}; "
                        f"delete it or reset the application"
                    )
        finally:
            admin.close()
        self.plan = plan
        self.compiled = compiled
        n = int(self.config["num.stream.threads"])
        client_id = self._client_id()
        try:  # everything that can fail happens before the client leaves CREATED
            if compiled.global_topics:  # bootstrapped before any stream thread starts
                self._global_thread = GlobalStreamThread(
                    compiled, self.config, supplier, self._clock, client_id, self._global_failed
                )
                self._global_thread.bootstrap()
            for i in range(1, n + 1):
                thread = StreamThread(
                    i, compiled, self.config, supplier, self._clock, plan, client_id, self._on_thread_state,
                    self._global_views(), process_id=str(self.process_id),
                )
                self._threads.append(thread)
            self._control = ControlListener(supplier, self.config, client_id, str(self.process_id),
                                            self._shutdown_requested)
        except BaseException:
            for thread in self._threads:
                thread.release_clients()
            self._threads.clear()
            self._close_global()
            raise
        self._set_state(State.REBALANCING)
        self._live_key = _live.add(self)
        self._control.start()
        if self._global_thread is not None:
            self._global_thread.start()
        for thread in self._threads:
            thread.start()

    def _client_id(self) -> str:
        """``client.id``, else Kafka's default ``<application.id>-<process id>``."""
        return str(self.config["client.id"] or f"{self.config.application_id}-{self.process_id}")

    def _close_earlier_runs(self, origin: Origin) -> None:
        """Close the live instances an earlier run of the code now starting this one started (same key, other
        token), so a re-run replaces its instance instead of adding a group member."""
        key, token = origin
        for other in KafkaStreams.running():
            if other is self or other._origin is None or other._origin[0] != key or other._origin[1] == token:
                continue
            log.info("closing %r: an earlier run of the code now starting a new instance (origin %r) started it",
                     other, key)
            if not other.close(timeout=_CLOSE_EARLIER_RUN_TIMEOUT):
                log.warning("%r did not stop within %.0fs; starting the new instance anyway", other,
                            _CLOSE_EARLIER_RUN_TIMEOUT)

    def _global_views(self) -> dict[str, Any] | None:
        """What stream tasks see of global stores: read-only views (Kafka's rule), locked against updates."""
        return None if self._global_thread is None else self._global_thread.views()

    def _global_failed(self, error: BaseException) -> None:
        """The global stream thread died: the client shuts down (Kafka replaces no global thread)."""
        self.exception = error
        self._close_to_error()

    def _close_to_error(self) -> None:
        """Kafka's closeToError: PENDING_ERROR, then stop everything on a helper thread and enter ERROR."""
        if self._set_state(State.PENDING_ERROR):
            threading.Thread(target=self._shutdown_to, args=(State.ERROR,), daemon=True).start()

    def _shutdown_requested(self, request: ShutdownRequest) -> None:
        """Another instance's handler answered SHUTDOWN_APPLICATION: this one closes to ERROR as well (Kafka's
        assignment error code SHUTDOWN_REQUESTED)."""
        log.error("process %s of application %r requested the application's shutdown (%s): closing to ERROR",
                  request.process_id, request.application_id, request.reason)
        if self.exception is None:
            self.exception = StreamsStateError(
                f"process {request.process_id} of application {request.application_id!r} requested the "
                f"application's shutdown ({request.reason}); fix the cause, then start the instances again"
            )
        self._close_to_error()

    def _on_thread_state(self, thread: StreamThread, new: ThreadState, old: ThreadState) -> None:
        if new is ThreadState.PARTITIONS_REVOKED or new is ThreadState.PARTITIONS_ASSIGNED:
            self._set_state(State.REBALANCING)
        elif new is ThreadState.RUNNING:
            if all(t.state is ThreadState.RUNNING for t in self._threads if t is not thread) or len(self._threads) == 1:
                self._set_state(State.RUNNING)
        elif new is ThreadState.PENDING_SHUTDOWN and thread.error is not None:
            self._answers[thread] = self._ask_handler(thread, thread.error)
        elif new is ThreadState.DEAD and thread.error is not None:
            self._thread_failed(thread, thread.error)

    def _ask_handler(self, thread: StreamThread, error: BaseException) -> tuple[str, BaseException]:
        """The handler's answer and the error to report. Called on the failing thread before it closes its clients
        (as Kafka does), so a SHUTDOWN_APPLICATION request is on the control topic before the thread leaves the
        group and its partitions move to the other instances."""
        if self._handler is None:
            return "SHUTDOWN_CLIENT", error
        try:
            action = _response(self._handler(error))
        except ConfigError as bad:
            bad.__cause__ = error
            log.error("%s; shutting down the client", bad)
            return "SHUTDOWN_CLIENT", bad
        except Exception:
            log.exception("uncaught exception handler failed; shutting down the client")
            return "SHUTDOWN_CLIENT", error
        if action == "SHUTDOWN_APPLICATION" and self._supplier is not None and self._state.is_running_or_rebalancing():
            log.error("%s failed with %r; the handler asked to shut down every instance of application %r",
                      thread.name, error, self.config.application_id)
            try:  # the reason names the exception type and the thread: no record data, no secrets
                send_shutdown_request(self._supplier, self.config, self._client_id(), str(self.process_id),
                                      f"{type(error).__name__} in {thread.name}", self._clock.milliseconds())
            except Exception:
                log.exception("could not write the shutdown request to the control topic: only this instance "
                              "shuts down")
        return action, error

    def _thread_failed(self, thread: StreamThread, error: BaseException) -> None:
        answer = self._answers.pop(thread, None)
        action, error = answer if answer is not None else self._ask_handler(thread, error)
        if action == "REPLACE_THREAD" and self.plan is not None and self.compiled is not None:
            with self._threads_lock:
                if not self._stopping and self._state.is_running_or_rebalancing():
                    log.warning("replacing %s after %r", thread.name, error)
                    replacement = StreamThread(
                        thread.index, self.compiled, self.config, cast(ClientSupplier, self._supplier), self._clock,
                        self.plan,
                        thread.name.rsplit("-StreamThread-", 1)[0], self._on_thread_state,
                        self._global_views(), process_id=str(self.process_id),
                    )
                    self._threads[self._threads.index(thread)] = replacement
                    replacement.start()
                    return
        self.exception = error
        self._close_to_error()  # SHUTDOWN_APPLICATION: the requesting instance closes to ERROR as well

    def _shutdown_to(self, final: State) -> None:
        """Stop every stream thread, wait for all of them, release global state, then enter ``final``.

        Runs on its own thread (Kafka's shutdown helper), so ``close(timeout)`` can give up waiting while the
        client stays PENDING_SHUTDOWN until the threads are really gone.
        """
        with self._threads_lock:
            self._stopping = True
            threads = list(self._threads)
        for t in threads:
            t.shutdown()
        for t in threads:
            if t is not threading.current_thread():
                t.join()
        self._close_global()
        control, self._control = self._control, None
        if control is not None:
            control.close()
        with self._admin_lock:
            admin, self._admin = self._admin, None
        if admin is not None:
            admin.close()
        self._set_state(final)

    def _close_global(self) -> None:
        global_thread, self._global_thread = self._global_thread, None
        if global_thread is not None:
            global_thread.close()

    def close(self, timeout: float | timedelta | None = None) -> bool:
        """Stop processing (committing what was processed) and release everything.

        Returns True once NOT_RUNNING is reached within ``timeout`` (seconds or timedelta; None waits as long as
        it takes); False otherwise, in which case the client stays PENDING_SHUTDOWN until its threads end.
        """
        secs = 1e9 if timeout is None else to_millis(timeout, "timeout") / 1000 if isinstance(timeout, timedelta) \
            else float(timeout)
        if self._state in (State.NOT_RUNNING, State.ERROR):
            return True
        if self._state is State.PENDING_ERROR:
            return self.wait_for_state(State.ERROR, timeout=secs)
        if self._set_state(State.PENDING_SHUTDOWN):
            threading.Thread(
                target=self._shutdown_to, args=(State.NOT_RUNNING,), name="kstreams-close", daemon=True
            ).start()
        if any(t is threading.current_thread() for t in self._threads):
            log.warning("close() called from a stream thread: not waiting for the shutdown to complete")
            return False
        return self.wait_for_state(State.NOT_RUNNING, State.ERROR, timeout=secs)

    def clean_up(self) -> None:
        """Delete this application's local state, ``<state.dir>/<application.id>`` (Kafka's ``cleanUp``): persistent
        stores are then restored from their changelogs on the next start. Only before ``start()`` or after the
        instance stopped (CREATED, NOT_RUNNING or ERROR); otherwise StreamsStateError. Example:
        ``streams.clean_up(); streams.start()``.
        """
        if self._state not in (State.CREATED, State.NOT_RUNNING, State.ERROR):
            raise StreamsStateError(
                f"Cannot clean up while running (state {self._state.name}): call clean_up() before start() or "
                "after close()"
            )
        clean_up_application(self.config, str(self.config.application_id))

    def __enter__(self) -> KafkaStreams:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ inspection
    def source_topics(self) -> list[str]:
        """The topics the stream tasks read, sorted: input topics and the application's repartition topics
        (``<application.id>-...-repartition``, as on the broker). Topics matched by a pattern are known from
        ``start()`` on; global store topics are not included.

        Example: ``streams.source_topics()`` → ``['lines', 'wordcount-KSTREAM-...-repartition']``.
        """
        if self.plan is not None:
            return sorted({t for topics in self.plan.source_topics.values() for t in topics})
        subs = [s for s in self._builder.subtopologies() if not s.is_global]
        if any(s.source_patterns for s in subs):
            raise StreamsStateError("this topology reads topics matching a pattern: they are known after start()")
        compiled = compile_topology(self._builder, str(self.config.application_id))
        return sorted({t for s in compiled.subtopologies for t in s.source_topics})

    def wait_until_processed(self, timeout: float | timedelta = 30.0) -> bool:
        """Block until the application has processed and committed everything its input topics held when called,
        and what that processing wrote to its own repartition topics (True); False when ``timeout`` (seconds or
        timedelta) passes first or the instance stops running. Progress shows at each commit, so a short
        ``commit.interval.ms`` answers sooner.

        Example: ``streams.start(); assert streams.wait_until_processed(timeout=30)``.
        """
        plan, supplier, app_id = self.plan, self._supplier, str(self.config.application_id)
        if plan is None or supplier is None:
            raise StreamsStateError("wait_until_processed() needs a started KafkaStreams: call start() first")
        deadline = time.monotonic() + _seconds(timeout)
        sizes = {**plan.partitions, **plan.internal_topics}
        tps = [TopicPartition(t, p) for t in self.source_topics() for p in range(sizes.get(t, 0))]
        repartitions = [tp for tp in tps if tp.topic in plan.internal_topics]
        consumer = supplier.consumer({
            **self.config.for_client("consumer."), "group.id": app_id,
            "client.id": f"{app_id}-{self.process_id}-progress",
            "isolation.level": "read_committed" if self.config.exactly_once else "read_uncommitted",
        })
        try:
            targets = consumer.end_offsets(tps)
            while True:
                while not consumer.wait_for_committed(targets, min(0.25, max(0.0, deadline - time.monotonic()))):
                    if time.monotonic() >= deadline or not self._state.is_running_or_rebalancing():
                        return False
                grown = {tp: end for tp, end in consumer.end_offsets(repartitions).items() if end > targets[tp]}
                if not grown:
                    return True
                targets.update(grown)
        finally:
            consumer.close()

    def metrics(self) -> dict[MetricName, float]:
        """Kafka's metric names and values for this client: per thread ("stream-thread-metrics": process, poll and
        commit rates and totals, commit latency), per task ("stream-task-metrics": process, dropped-records and
        restore rates and totals, restore-remaining-records-total), per partition ("consumer-fetch-manager-
        metrics": records-lag) and, at ``metrics.recording.level=DEBUG``, per node
        ("stream-processor-node-metrics"). Rates are per second over ``metrics.sample.window.ms``. Safe to call
        from any thread at any time.

        Example: ``{m.name: v for m, v in streams.metrics().items() if m.group == "stream-thread-metrics"}``.
        """
        return self._metrics.read(self._client_id(), list(self._threads))

    def local_tasks(self) -> dict[str, list[str]]:
        """Thread name → ids of the tasks it runs."""
        return {t.name: sorted(str(tid) for tid in t.tasks.tasks) for t in self._threads}

    def committed_offsets(self) -> dict[TopicPartition, int]:
        """The offsets the application's consumer group (``application.id``) has committed, per partition (the next
        offset to read), as the broker holds them: Kafka's ``Admin.listConsumerGroupOffsets``. Covers every
        instance of the application; {} before anything was committed. Safe to call from any thread once
        ``start()`` was called; the admin client it uses is kept while the instance runs.

        Example: ``streams.committed_offsets()`` → ``{TopicPartition(topic='lines', partition=0): 42}``.
        """
        supplier = self._supplier
        if supplier is None:
            raise StreamsStateError("committed_offsets() needs a started KafkaStreams: call start() first")
        with self._admin_lock:
            admin = self._admin or supplier.admin(self.config.for_client("admin."))
            try:
                return admin.committed_offsets(str(self.config.application_id))
            finally:
                if self._state in (State.PENDING_SHUTDOWN, State.NOT_RUNNING, State.PENDING_ERROR, State.ERROR):
                    admin.close()  # stopping or stopped: not kept (the shutdown released the kept one)
                    self._admin = None
                else:
                    self._admin = admin

    def store(self, name: str, *, timestamped: bool = False) -> Any:
        """A read-only view of the store ``name`` over every local task (and global stores).

        Timestamped stores (every DSL store) give plain values unless ``timestamped=True``. Queries need the
        client RUNNING or REBALANCING. Example: ``streams.store("counts").get("alice")``.
        """
        self._check_queryable()
        instances = self._store_instances(name)
        if not instances and any(
            name in task.stores for thread in list(self._threads) for task in list(thread.tasks.tasks.values())
        ):
            raise InvalidStateStoreError(
                f"store {name!r} is restoring from its changelog: query it again once the instance is RUNNING "
                f"(streams.wait_for_state(State.RUNNING))"
            )
        if not instances:
            raise UnknownStateStoreError(f"no local store named {name!r}")
        provider = lambda: self._store_instances(name)  # noqa: E731 - re-read: tasks move on rebalance
        if hasattr(instances[0][1], "fetch"):
            return CompositeReadOnlyWindowStore(name, provider, timestamped)
        return CompositeReadOnlyKeyValueStore(name, provider, timestamped)

    def _check_queryable(self) -> None:
        if not self._state.is_running_or_rebalancing():
            raise InvalidStateStoreError(
                f"KafkaStreams is not running. State is {self._state.name}: stores can be queried while RUNNING or "
                f"REBALANCING"
            )

    def _store_instances(self, name: str) -> list[tuple[Any, Any]]:
        self._check_queryable()
        found: list[tuple[Any, Any]] = []
        global_thread = self._global_thread
        if global_thread is not None and name in (global_stores := global_thread.stores()):
            found.append((global_thread.lock, global_stores[name]))
        for thread in list(self._threads):
            with thread.lock:  # a restoring task's store is incomplete: not queried (Kafka's default)
                found.extend(
                    (thread.lock, task.stores[name])
                    for task in thread.tasks.tasks.values()
                    if name in task.stores and task.state is TaskState.RUNNING
                )
        return found

    def __repr__(self) -> str:
        return (
            f"<KafkaStreams application.id={self.config.application_id!r} state={self._state.name} "
            f"threads={len(self._threads)}>"
        )

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None, **kwargs: Any
    ) -> dict[str, Any]:
        """Jupyter's display: state, application.id, threads and their tasks, and the topology (its describe
        text, and a picture as ``image/svg+xml`` when ``kstreams_nb.topology.draw`` and matplotlib are there)."""
        bundle: dict[str, Any] = {}
        svg = "image/svg+xml"
        if (include is None or svg in include) and (exclude is None or svg not in exclude):
            try:
                draw = importlib.import_module("kstreams_nb.topology.draw")
                bundle.update(
                    (k, v) for k, v in draw.mimebundle(self._topology, include, exclude).items() if k != "text/plain"
                )
            except ImportError as e:
                log.debug("no topology picture: %s", e)
        threads = "".join(
            f"\n  {thread}: tasks {', '.join(tasks) or '(none)'}" for thread, tasks in self.local_tasks().items()
        )
        bundle["text/plain"] = (
            f"KafkaStreams application.id={self.config.application_id!r} state={self._state.name} "
            f"threads={len(self._threads)}{threads}\n{self._topology.describe()}"
        )
        return bundle


# Kafka's KafkaStreams.State, nested as in Java: ``KafkaStreams.State.RUNNING``
KafkaStreams.State = State  # type: ignore[attr-defined]
