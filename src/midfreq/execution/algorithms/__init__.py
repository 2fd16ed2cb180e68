"""Execution algorithms: a parent order worked over time by child orders that each pass the
risk gate. `ExecAlgorithmEngine` holds the parents; TWAP, VWAP, POV and Iceberg are built in.
See docs/execution.md, "Execution algorithms"."""

from midfreq.execution.algorithms.engine import AlgoRun, ExecAlgorithmEngine
from midfreq.execution.algorithms.framework import (
    CANCEL_ALL_ENDPOINT,
    CANCEL_ENDPOINT,
    SUBMIT_ENDPOINT,
    AlgoParams,
    ChildRejectPolicy,
    ExecAlgorithm,
    SubmitAlgoOrder,
    algo_events_topic,
)
from midfreq.execution.algorithms.iceberg import IcebergAlgorithm, IcebergParams
from midfreq.execution.algorithms.pov import PovAlgorithm, PovParams
from midfreq.execution.algorithms.twap import (
    ScheduledAlgorithm,
    ScheduleParams,
    TwapAlgorithm,
    TwapParams,
)
from midfreq.execution.algorithms.vwap import (
    CatalogVolumeProfiles,
    VolumeProfile,
    VwapAlgorithm,
    VwapParams,
)

ALGORITHMS: dict[str, type[ExecAlgorithm]] = {
    cls.name: cls for cls in (TwapAlgorithm, VwapAlgorithm, PovAlgorithm, IcebergAlgorithm)
}
"""The built-in algorithms by the name ``exec_algorithm`` takes."""

__all__ = [
    "ALGORITHMS",
    "CANCEL_ALL_ENDPOINT",
    "CANCEL_ENDPOINT",
    "SUBMIT_ENDPOINT",
    "AlgoParams",
    "AlgoRun",
    "CatalogVolumeProfiles",
    "ChildRejectPolicy",
    "ExecAlgorithm",
    "ExecAlgorithmEngine",
    "IcebergAlgorithm",
    "IcebergParams",
    "PovAlgorithm",
    "PovParams",
    "ScheduleParams",
    "ScheduledAlgorithm",
    "SubmitAlgoOrder",
    "TwapAlgorithm",
    "TwapParams",
    "VolumeProfile",
    "VwapAlgorithm",
    "VwapParams",
    "algo_events_topic",
]
