from lib.tasks import config_for


def tiny_config(task: str, demo_root, **overrides) -> dict:
    """A configuration that trains in seconds on the small demo data."""
    if task == "dr":
        base = dict(data=str(demo_root / "eyepacs"), backbone="small_cnn", weights="none", image_size=32,
                    n_per_class=12, epochs=1, batch_size=4)
    elif task == "lung2d":
        base = dict(data=str(demo_root / "lungs"), image_size=32, filters=4, epochs=1, batch_size=4)
    else:
        base = dict(data=str(demo_root / "lungs"), stride=2, filters=4, chunk_depth=8, epochs=1, steps_per_epoch=2,
                    validation_steps=1, batch_size=2)
    base.update(overrides)
    return config_for(task, preset="quick", **base)

