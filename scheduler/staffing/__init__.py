"""From questions to required agents: exact Erlang C and Erlang A (`erlang`), applied per queue and
interval (`requirement`). Knows nothing of rotas: the model reads its requirement, never the reverse."""

from scheduler.staffing.requirement import (STAFFING_CSV_COLUMNS, QueueLoad, Staffing, achieved, compute_staffing,
                                            driver_effects, queue_loads, required_agents, staffing_table)

__all__ = ["STAFFING_CSV_COLUMNS", "QueueLoad", "Staffing", "achieved", "compute_staffing", "driver_effects", "queue_loads",
           "required_agents", "staffing_table"]
