"""The DR referral classifier: a backbone, global average pooling, one sigmoid unit.

Backbones: ``"mobilenetv2"`` (the course's; ImageNet weights where they can be had) and
``"small_cnn"`` (four plain conv blocks, trains from scratch on a laptop CPU within a lecture).
Inputs are RGB in [0, 1]; the model rescales them to what the backbone expects.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path

import keras
from keras import layers

BACKBONES = ("mobilenetv2", "small_cnn")
IMAGENET_SIZES = (96, 128, 160, 192, 224)
DOWNLOAD_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class WeightsReport:
    """What the builder did about pretrained weights: ``used`` is "imagenet", a file path or "none"."""

    requested: str
    used: str
    message: str | None = None  # set when the request could not be honoured, for the UI to show

    @property
    def fell_back(self) -> bool:
        return self.requested != self.used


def _small_cnn(inputs, width: int = 16):
    x = inputs
    for i in range(4):
        x = layers.Conv2D(width * 2**i, 3, padding="same", use_bias=False, name=f"block{i}_conv")(x)
        x = layers.BatchNormalization(momentum=0.9, name=f"block{i}_bn")(x)
        x = layers.ReLU(name=f"block{i}_relu")(x)
        x = layers.MaxPooling2D(2, name=f"block{i}_pool")(x)
    return x


def _mobilenet(image_size: int, weights: str | None):
    return keras.applications.MobileNetV2(include_top=False, weights=weights, input_shape=(image_size, image_size, 3))


def _mobilenet_with_fallback(image_size: int, weights: str) -> tuple[keras.Model, WeightsReport]:
    if weights == "none":
        return _mobilenet(image_size, None), WeightsReport("none", "none")
    if weights == "imagenet":
        previous = socket.getdefaulttimeout()
        socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)  # a blackholed network must not hang a lecture
        try:
            return _mobilenet(image_size, "imagenet"), WeightsReport("imagenet", "imagenet")
        except Exception as exc:  # keras raises a bare Exception for URL fetch failures
            message = (
                f"ImageNet weights for MobileNetV2 could not be downloaded ({type(exc).__name__}: {str(exc)[:160]}). "
                "Training from scratch instead (random weights), which needs more epochs. To use transfer learning "
                "offline, give a local weights file: Keras' MobileNetV2 no-top file "
                f"(mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_{image_size if image_size in IMAGENET_SIZES else 224}_no_top.h5), "
                "copied into ~/.keras/models/ or chosen as the weights file."
            )
            return _mobilenet(image_size, None), WeightsReport("imagenet", "none", message)
        finally:
            socket.setdefaulttimeout(previous)
    path = Path(weights)
    if not path.is_file():
        message = f"Weights file {path} not found; training from scratch instead."
        return _mobilenet(image_size, None), WeightsReport(str(path), "none", message)
    try:
        return _mobilenet(image_size, str(path)), WeightsReport(str(path), str(path))
    except Exception as exc:  # wrong file, wrong shapes
        message = f"Weights file {path.name} does not fit MobileNetV2 without top ({type(exc).__name__}: {str(exc)[:160]}); training from scratch instead."
        return _mobilenet(image_size, None), WeightsReport(str(path), "none", message)


def build_dr_classifier(*, backbone: str = "mobilenetv2", image_size: int = 224, weights: str = "imagenet",
                        freeze_backbone: bool = False, name: str | None = None) -> tuple[keras.Model, WeightsReport]:
    """Build the referral classifier.

    Parameters
    ----------
    backbone : {"mobilenetv2", "small_cnn"}, keyword-only
    image_size : int, keyword-only
        Input side in pixels (square RGB input in [0, 1]).
    weights : "imagenet", "none" or a path to a weights file, keyword-only
        Only for ``mobilenetv2``. Never raises for missing weights: falls back to random weights
        and says why in the returned :class:`WeightsReport`.
    freeze_backbone : bool, keyword-only
        Keep the backbone's weights fixed (train the head only).

    Returns
    -------
    (keras.Model, WeightsReport). The model maps (batch, size, size, 3) to (batch, 1) probabilities.
    """
    if backbone not in BACKBONES:
        raise ValueError(f"backbone must be one of {BACKBONES}, got {backbone!r}")
    if image_size < 32:
        raise ValueError(f"image_size must be at least 32, got {image_size}")
    inputs = keras.Input(shape=(image_size, image_size, 3), name="photo")
    if backbone == "mobilenetv2":
        base, report = _mobilenet_with_fallback(image_size, weights)
        base.trainable = not freeze_backbone
        x = layers.Rescaling(2.0, offset=-1.0, name="to_minus1_1")(inputs)  # MobileNetV2 expects [-1, 1]
        x = base(x, training=False if freeze_backbone else None)
        x = layers.GlobalAveragePooling2D(name="pool")(x)
    else:
        report = WeightsReport(weights, "none", None if weights == "none" else "The small CNN always trains from scratch.")
        x = layers.Rescaling(2.0, offset=-1.0, name="to_minus1_1")(inputs)
        x = _small_cnn(x)
        # Max, not average, pooling: a lesion is a few pixels; averaging over the whole photo drowns it,
        # and a from-scratch network has no pretrained features strong enough to survive that.
        x = layers.GlobalMaxPooling2D(name="pool")(x)
    outputs = layers.Dense(1, activation="sigmoid", dtype="float32", name="refer")(x)  # float32 under mixed precision
    return keras.Model(inputs, outputs, name=name or f"dr_{backbone}"), report
