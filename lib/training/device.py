"""The accelerators a Keras backend sees, and what they hold: memory in use and its peak.

Read through the backend's own counters (TensorFlow's ``get_memory_info``, JAX's ``memory_stats``,
PyTorch's CUDA allocator), so the figures are what this job allocated, not what other jobs on the same
GPU hold. On a machine without an accelerator there is no device memory to report: None.
"""

from __future__ import annotations

from dataclasses import dataclass


def accelerators(backend: str) -> list[str]:
    """The GPUs (or other accelerators) ``backend`` sees; [] on a CPU-only machine (or when it cannot say)."""
    try:
        if backend == "tensorflow":
            import tensorflow as tf  # framework: only the backend in use, and never in the Streamlit server

            return [d.name for d in tf.config.list_physical_devices("GPU")]
        if backend == "jax":
            import jax  # framework: only the backend in use, and never in the Streamlit server

            return [str(d) for d in jax.devices() if d.platform != "cpu"]
        if backend == "torch":
            import torch  # framework: only the backend in use, and never in the Streamlit server

            return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    except Exception:  # noqa: BLE001 - a version report must not fail a run
        return []
    return []


@dataclass(frozen=True)
class DeviceMemory:
    in_use_mb: float
    peak_mb: float
    device: str


def device_memory() -> DeviceMemory | None:
    """The first accelerator's memory as this process sees it, or None (no accelerator, or unreadable)."""
    import keras  # framework: only the backend in use, and never in the Streamlit server

    backend = keras.backend.backend()
    try:
        if backend == "tensorflow":
            import tensorflow as tf  # framework: only the backend in use, and never in the Streamlit server

            if tf.config.list_physical_devices("GPU"):
                info = tf.config.experimental.get_memory_info("GPU:0")
                return DeviceMemory(info["current"] / 2**20, info["peak"] / 2**20, "GPU:0")
        elif backend == "jax":
            import jax  # framework: only the backend in use, and never in the Streamlit server

            device = jax.devices()[0]
            if device.platform != "cpu":
                stats = device.memory_stats() or {}
                return DeviceMemory(stats.get("bytes_in_use", 0) / 2**20, stats.get("peak_bytes_in_use", 0) / 2**20,
                                    str(device))
        elif backend == "torch":
            import torch  # framework: only the backend in use, and never in the Streamlit server

            if torch.cuda.is_available():
                return DeviceMemory(torch.cuda.memory_allocated() / 2**20, torch.cuda.max_memory_allocated() / 2**20,
                                    torch.cuda.get_device_name(0))
    except Exception:  # noqa: BLE001 - a figure we cannot read must never fail a run
        return None
    return None


def reset_peak() -> None:
    """Start a new peak (for measuring one model after another in the same process); no-op without a GPU."""
    import keras  # framework: only the backend in use, and never in the Streamlit server

    backend = keras.backend.backend()
    try:
        if backend == "torch":
            import torch  # framework: only the backend in use, and never in the Streamlit server

            if torch.cuda.is_available():
                torch.cuda.reset_peak_memory_stats()
        elif backend == "tensorflow":
            import tensorflow as tf  # framework: only the backend in use, and never in the Streamlit server

            if tf.config.list_physical_devices("GPU"):
                tf.config.experimental.reset_memory_stats("GPU:0")
    except Exception:  # noqa: BLE001
        pass
