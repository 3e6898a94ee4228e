"""Jobs: run a topology in the background from a notebook cell (a thread of the kernel, or detached processes
that outlive it), find it again from any kernel or shell through the job registry, watch it in a live panel,
and promote the notebook's topology to a module that ``kstreams-nb run`` starts.

Example::

    >>> from kstreams_nb import jobs
    >>> job = jobs.deploy(builder, {"application.id": "counts"})         # doctest: +SKIP
    >>> job.state                                                         # doctest: +SKIP
    <JobState.RUNNING: 'RUNNING'>
    >>> job.stop()                                                        # doctest: +SKIP
    True
"""

from __future__ import annotations

from kstreams_nb.jobs._deploy import attach, deploy, list_jobs
from kstreams_nb.jobs._export import ExportResult, export
from kstreams_nb.jobs._job import Job, JobState
from kstreams_nb.jobs._load import load_topology
from kstreams_nb.jobs._panel import LivePanel, panel
from kstreams_nb.jobs._registry import JobRecord, Registry
from kstreams_nb.jobs._snapshot import JobSnapshot, MetricRow, snapshot_of

#: ``jobs.list()``: every job (see :func:`list_jobs`)
list = list_jobs

__all__ = [
    "ExportResult", "Job", "JobRecord", "JobSnapshot", "JobState", "LivePanel", "MetricRow", "Registry", "attach",
    "deploy", "export", "list", "list_jobs", "load_topology", "panel", "snapshot_of",
]
