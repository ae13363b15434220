import keras
import numpy as np
import pytest

from lib.models import classifier
from lib.models.classifier import build_dr_classifier
from lib.models.unet import build_unet


def test_unet_2d_shapes_and_course_layers():
    model = build_unet(spatial_dims=2, input_shape=(32, 48, 1), filters=4, depth=2)
    assert model.name == "unet2d_f4_d2" and not model.compiled  # uncompiled
    assert model.predict(np.zeros((2, 32, 48, 1)), verbose=0).shape == (2, 32, 48, 1)
    convs = [layer.filters for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert convs == [4, 8, 16, 8, 4, 1]  # 64 -> 128 -> 256 -> 128 -> 64 -> 1 at filters=64
    assert any(isinstance(layer, keras.layers.Dropout) for layer in model.layers)


def test_unet_3d_takes_any_number_of_slices():
    model = build_unet(spatial_dims=3, input_shape=(None, 16, 16, 1), filters=2, depth=2, dropout=0.0)
    for slices in (8, 12):
        out = model.predict(np.zeros((1, slices, 16, 16, 1)), verbose=0)
        assert out.shape == (1, slices, 16, 16, 1)
        assert ((out >= 0) & (out <= 1)).all()


@pytest.mark.parametrize("kwargs, message", [
    (dict(spatial_dims=4), "spatial_dims"),
    (dict(input_shape=(30, 32, 1), depth=2), "divisible by 2\\*\\*depth"),
    (dict(dropout=1.0), "dropout"),
])
def test_unet_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        build_unet(**kwargs)


def test_small_cnn_classifier():
    model, report = build_dr_classifier(backbone="small_cnn", image_size=32, weights="none")
    assert model.predict(np.zeros((3, 32, 32, 3)), verbose=0).shape == (3, 1)
    assert report.used == "none" and not report.fell_back


def test_mobilenet_without_weights_and_frozen():
    model, report = build_dr_classifier(backbone="mobilenetv2", image_size=32, weights="none", freeze_backbone=True)
    assert model.name == "dr_mobilenetv2"
    assert model.predict(np.zeros((1, 32, 32, 3)), verbose=0).shape == (1, 1)
    backbone = [layer for layer in model.layers if isinstance(layer, keras.Model)][0]
    assert not backbone.trainable
    assert len(model.trainable_weights) == 2  # the dense head only


def test_imagenet_failure_falls_back_and_says_what_to_do(monkeypatch):
    real = classifier._mobilenet

    def offline(image_size, weights):
        if weights == "imagenet":
            raise Exception("URL fetch failure on https://storage.googleapis.com/...: [Errno -2] Name or service not known")
        return real(image_size, weights)

    monkeypatch.setattr(classifier, "_mobilenet", offline)
    model, report = build_dr_classifier(backbone="mobilenetv2", image_size=32, weights="imagenet")
    assert report.fell_back and report.used == "none"
    assert "could not be downloaded" in report.message and "local weights file" in report.message
    assert model.predict(np.zeros((1, 32, 32, 3)), verbose=0).shape == (1, 1)


def test_missing_weights_file_falls_back(tmp_path):
    _, report = build_dr_classifier(backbone="mobilenetv2", image_size=32, weights=str(tmp_path / "none.h5"))
    assert report.fell_back and "not found" in report.message
