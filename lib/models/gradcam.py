"""Where does the referral model look? Grad-CAM over the last feature map, on any Keras backend.

Grad-CAM (Selvaraju et al., 2017): the gradient of the referral score with respect to each channel of the
last convolutional feature map, averaged over the map, weighs that channel; the weighted sum of the
channels, without its negative part, is the heat map, stretched to the photo's size. Both backbones of
:func:`lib.models.classifier.build_dr_classifier` end in a feature map that a layer named ``pool`` reduces
to one vector, then the ``refer`` layer: the map is the input of ``pool``.

Gradients are the backend's own (TensorFlow's tape, ``jax.grad``, PyTorch's autograd); the page asks for a
heat map in a child process (``python -m lib gradcam``), so no framework enters the Streamlit server.
"""

from __future__ import annotations

import cv2
import numpy as np

FEATURE_LAYER = "pool"  # the layer whose input is the last feature map


def _split(model):
    """(features, head): the model up to the last feature map, and the layers from ``pool`` to the score's logit
    (the last layer's activation left out: a confident sigmoid has no gradient left to show)."""
    import keras  # framework: the frameworks only where a model is built, never in the Streamlit server

    names = [layer.name for layer in model.layers]
    if FEATURE_LAYER not in names:
        raise ValueError(f"model {model.name} has no layer {FEATURE_LAYER!r}: Grad-CAM needs the classifier of "
                         "lib.models.classifier")
    pool = model.get_layer(FEATURE_LAYER)
    features = keras.Model(model.input, pool.input, name="features")
    tail = model.layers[names.index(FEATURE_LAYER):]
    last = tail[-1]
    if not isinstance(last, keras.layers.Dense):
        raise ValueError(f"model {model.name} does not end in a Dense layer after {FEATURE_LAYER!r}")
    start = keras.Input(shape=tuple(pool.input.shape[1:]))
    x = start
    for layer in tail[:-1]:
        x = layer(x)
    linear = keras.layers.Dense(last.units, activation=None, name="logit")
    out = linear(x)
    linear.set_weights(last.get_weights())
    return features, keras.Model(start, out, name="head")


def _gradient(head, maps: np.ndarray) -> np.ndarray:
    """d(sum of logits) / d(maps), as numpy, with the backend in use."""
    import keras  # framework: the frameworks only where a model is built, never in the Streamlit server

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf  # framework: the frameworks only where a model is built, never in the Streamlit server

        tensor = tf.convert_to_tensor(maps)
        with tf.GradientTape() as tape:
            tape.watch(tensor)
            score = tf.reduce_sum(head(tensor, training=False))
        return tape.gradient(score, tensor).numpy()
    if backend == "jax":
        import jax  # framework: the frameworks only where a model is built, never in the Streamlit server

        trainable = [v.value for v in head.trainable_variables]
        fixed = [v.value for v in head.non_trainable_variables]

        def score(x):
            out, _ = head.stateless_call(trainable, fixed, x, training=False)
            return out.sum()

        return np.asarray(jax.grad(score)(maps))
    if backend == "torch":
        import torch  # framework: the frameworks only where a model is built, never in the Streamlit server

        tensor = torch.tensor(maps, requires_grad=True)
        head(tensor, training=False).sum().backward()
        return tensor.grad.detach().cpu().numpy()
    raise ValueError(f"Grad-CAM is not implemented for the {backend} backend")


def grad_cam(model, image: np.ndarray) -> tuple[np.ndarray, float]:
    """The heat map of one photo and the model's score for it.

    Parameters
    ----------
    model : the referral classifier (a keras.Model with a ``pool`` layer)
    image : ndarray (S, S, 3), float32 in [0, 1], as the model was trained on

    Returns
    -------
    (heat map (S, S) float32 in [0, 1], the model's score in [0, 1]). A map with no positive evidence is all zeros.
    """
    import keras  # framework: the frameworks only where a model is built, never in the Streamlit server

    image = np.asarray(image, dtype=np.float32)
    if image.ndim != 3 or image.shape[-1] != 3:
        raise ValueError(f"need one RGB image (S, S, 3), got shape {image.shape}")
    features, head = _split(model)
    maps = keras.ops.convert_to_numpy(features(image[None], training=False)).astype(np.float32)
    score = float(np.asarray(model.predict_on_batch(image[None])).reshape(-1)[0])
    grads = _gradient(head, maps)[0]  # (h, w, c)
    weights = grads.mean(axis=(0, 1))
    cam = np.maximum((maps[0] * weights).sum(axis=-1), 0.0)
    if cam.max() > 0:
        cam = cam / cam.max()
    return cv2.resize(cam.astype(np.float32), image.shape[1::-1], interpolation=cv2.INTER_LINEAR), score


def heat_overlay(photo: np.ndarray, cam: np.ndarray, *, alpha: float = 0.45) -> np.ndarray:
    """The heat map in colour (blue low, red high) over the photo (uint8 RGB), same size as the photo."""
    photo = np.asarray(photo)
    if photo.dtype != np.uint8:
        photo = (np.clip(photo, 0, 1) * 255).round().astype(np.uint8)
    cam = cv2.resize(np.asarray(cam, np.float32), photo.shape[1::-1], interpolation=cv2.INTER_LINEAR)
    colours = cv2.cvtColor(cv2.applyColorMap((np.clip(cam, 0, 1) * 255).astype(np.uint8), cv2.COLORMAP_JET),
                           cv2.COLOR_BGR2RGB)
    return ((1 - alpha) * photo + alpha * colours).round().astype(np.uint8)


def read_heat_map(path) -> dict:
    """A heat map saved by the task's ``saliency`` (``python -m lib gradcam``): {"photo": uint8 (H, W, 3), "cam":
    float32 (H, W) in [0, 1], "score": float, "empty": whether nothing raises the score anywhere}."""
    with np.load(path) as data:
        cam = data["cam"].astype(np.float32)
        return {"photo": data["photo"], "cam": cam, "score": float(data["score"]), "empty": float(np.max(cam)) <= 0}
