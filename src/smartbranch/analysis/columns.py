"""Arrow columns as the numpy arrays the scoring and arbitration code computes on."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc


def float_values(column: pa.Array | pa.ChunkedArray) -> npt.NDArray[np.float64]:
    """The column as float64, nulls as NaN (numbers, decimals and booleans)."""
    as_float = pc.cast(column, pa.float64())
    if isinstance(as_float, pa.ChunkedArray):
        as_float = as_float.combine_chunks()
    return np.asarray(as_float.to_numpy(zero_copy_only=False), dtype=np.float64)


def string_values(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The column as one contiguous Arrow string array (dictionaries decoded)."""
    result = pc.cast(column, pa.string())
    return result.combine_chunks() if isinstance(result, pa.ChunkedArray) else result
