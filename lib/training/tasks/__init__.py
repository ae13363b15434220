"""What training means for each task. Each module has ``train(ctx) -> metrics`` (a dict of floats)."""


def get_task(name: str):
    if name == "dr":
        from lib.training.tasks import dr as module
    elif name == "lung2d":
        from lib.training.tasks import lung2d as module
    elif name == "lung3d":
        from lib.training.tasks import lung3d as module
    else:
        raise ValueError(f"unknown task {name!r}")
    return module.train
