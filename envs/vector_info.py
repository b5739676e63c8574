"""The ``info`` of a native vector env, laid out as Gymnasium's own vector envs lay it out.

Gymnasium's ``SyncVectorEnv`` (``SAME_STEP`` autoreset) gives, for each key a sub-env's
``info`` held, an array over the sub-envs and a mask ``_key`` of the sub-envs that held it:
numbers as arrays with zeros where masked out, anything else as object arrays of None. A
sub-env whose episode ended this step shows its reset ``info`` at the top level, and the info
of its last step under ``final_info`` (with ``_final_info``), beside ``final_obs``. The native
vector envs build the same from whole arrays, so code written against Gymnasium's reads ours.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def masked(values: Any, mask: np.ndarray) -> np.ndarray:
    """`values` (one per sub-env) where `mask` holds, Gymnasium's blank elsewhere."""
    values = np.asarray(values)
    if values.dtype.kind in "biuf":
        return np.where(mask, values, np.zeros((), dtype=values.dtype)).astype(values.dtype)
    out = np.full(len(mask), None, dtype=object)
    out[mask] = list(values[mask])
    return out


def add(infos: dict[str, Any], key: str, values: Any, mask: np.ndarray) -> None:
    """Put `values` under `key` with its mask ``_key``, if any sub-env holds it."""
    if mask.any():
        infos[key], infos[f"_{key}"] = masked(values, mask), mask.copy()


def reset_infos(reset: dict[str, Any], mask: np.ndarray) -> dict[str, Any]:
    """The info of a vector reset: each sub-env reset (`mask`) holds the single env's `reset` info."""
    infos: dict[str, Any] = {}
    for key, value in reset.items():
        add(infos, key, np.full(len(mask), value), mask)
    return infos


def step_infos(
    step: dict[str, tuple[Any, np.ndarray]], done: np.ndarray, reset: dict[str, Any], final_obs: Any = None
) -> dict[str, Any]:
    """The info of a vector step.

    Args:
        step: per key, the values of the single env's step info for every sub-env, and the mask
            of the sub-envs whose step info holds that key.
        done: the sub-envs whose episode ended (terminated or truncated) this step.
        reset: the single env's reset info, which an ended sub-env shows at the top level.
        final_obs: the ended sub-envs' last observations (an object array), when any ended.
    """
    infos: dict[str, Any] = {}
    keys = list(dict.fromkeys([*step, *reset]))
    for key in keys:
        values, present = step.get(key, (np.zeros(len(done)), np.zeros(len(done), dtype=bool)))
        values, going_on = np.asarray(values), present & ~done
        if key in reset:  # an ended sub-env holds its new episode's reset info
            values = np.where(done, reset[key], values) if np.asarray(reset[key]).dtype.kind in "biuf" else values
            going_on = going_on | done
        add(infos, key, values, going_on)
    if done.any():
        final: dict[str, Any] = {}
        for key, (values, present) in step.items():
            add(final, key, values, present & done)
        infos["final_obs"], infos["_final_obs"] = final_obs, done.copy()
        infos["final_info"], infos["_final_info"] = final, done.copy()
    return infos
