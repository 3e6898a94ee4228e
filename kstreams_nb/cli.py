"""Command line (also ``python -m kstreams_nb``).

``kstreams-nb demo`` runs the demo; ``kstreams-nb kafka start|stop|status|logs`` runs a local Apache Kafka broker
in the background, e.g. ``kstreams-nb kafka start --port 9092``; ``kstreams-nb run module:attr --config
app.properties`` runs a topology as a long-running job and ``kstreams-nb jobs list|status|stop|logs`` manages
jobs; ``kstreams-nb reset`` resets an application.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__all__ = ["main"]


def _demo() -> int:
    from kstreams_nb.demo import run_demo

    return run_demo(sys.stdout)


def _kafka(args: argparse.Namespace) -> int:
    from kstreams_nb.errors import BrokerError
    from kstreams_nb.testing import kafka_service as service

    try:
        if args.action == "start":
            state, started = service.start(port=args.port, heap=args.heap, timeout=args.timeout)
            verb = "started" if started else "is already running"
            print(f"Kafka {state.version} {verb} at {state.bootstrap_servers} (pid {state.pid}, log {state.log})")
            return 0
        if args.action == "stop":
            stopped = service.stop(timeout=args.timeout)
            print("Kafka stopped" if stopped is not None else "Kafka is not running")
            return 0
        if args.action == "logs":
            print(service.logs(args.lines))
            return 0
        current = service.status()
        if current is None or not current.running:
            print(f"Kafka is not running (state in {service.run_dir()})")
            return 1
        print(f"Kafka {current.version} is running at {current.bootstrap_servers} (pid {current.pid})")
        print(f"data {current.data_dir}, log {current.log}")
        return 0
    except BrokerError as e:
        print(f"kstreams-nb kafka {args.action}: {e}", file=sys.stderr)
        return 1


def _add_kafka_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    kafka = sub.add_parser("kafka", help="run a local Apache Kafka broker in the background")
    actions = kafka.add_subparsers(dest="action", required=True)
    start = actions.add_parser("start", help="start the broker (if not running) and print its bootstrap address")
    start.add_argument("--port", type=int, default=None, help="the client port (default 9092 if free, else any)")
    start.add_argument("--heap", default="512m", help="the JVM's maximum heap (default 512m)")
    start.add_argument("--timeout", type=float, default=120.0, help="seconds to wait until it serves (default 120)")
    stop = actions.add_parser("stop", help="stop the broker (its topics are kept for the next start)")
    stop.add_argument("--timeout", type=float, default=30.0, help="seconds before SIGKILL (default 30)")
    actions.add_parser("status", help="say whether the broker runs, its address and pid (exit 1 if not)")
    logs = actions.add_parser("logs", help="print the end of the broker's log")
    logs.add_argument("-n", "--lines", type=int, default=50, help="how many lines (default 50)")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``kstreams-nb`` command."""
    parser = argparse.ArgumentParser(prog="kstreams-nb", description="Kafka Streams for Python and Jupyter")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="run the demo on the embedded broker and print topologies and results")
    _add_kafka_parser(sub)
    from kstreams_nb._cli_reset import add_reset_command, run_reset

    add_reset_command(sub)
    from kstreams_nb._cli_jobs import add_job_commands, run_jobs, run_run

    add_job_commands(sub)
    from kstreams_nb._cli_topology import add_topology_commands, run_describe, run_draw

    add_topology_commands(sub)
    args = parser.parse_args(argv)
    if args.command == "demo":
        return _demo()
    if args.command == "kafka":
        return _kafka(args)
    if args.command == "reset":
        return run_reset(args)
    if args.command == "run":
        return run_run(args)
    if args.command == "jobs":
        return run_jobs(args)
    if args.command == "describe":
        return run_describe(args)
    if args.command == "draw":
        return run_draw(args)
    parser.error(f"unknown command {args.command}")  # pragma: no cover - argparse exits first
    return 2
