"""The datasets of this project's tasks: where they live by default, how Kaggle ships them, their demo writers.

Each is a :class:`lib.contract.Dataset`; a task names the one it reads, and a dataset can serve several tasks (the
lung CT folder holds the 2D slices and the 3D volumes). A new task with a new dataset declares it in its own module;
the registry (``lib.tasks``) lists the datasets of the tasks it holds.
"""

from __future__ import annotations

from lib.contract import Dataset
from lib.demo.write import write_eyepacs, write_lungs

EYEPACS = Dataset(
    key="eyepacs",
    title="EyePACS fundus photos",
    env="DLMI_DR_DATA",
    kaggle=("competitions", "download", "-c", "diabetic-retinopathy-detection"),
    after_download=(
        "EyePACS comes as a multi-part archive. In {out}: `unzip trainLabels.csv.zip`, then "
        "`cat train.zip.* > train.zip && unzip train.zip` (about 35 GB; a partial unzip is fine, the app uses "
        "the photos it finds). Then point the app at it: DLMI_DR_DATA={out}"
    ),
    demo=write_eyepacs,
    demo_cost=0.7,
    layout="`trainLabels.csv` and `train/`",
)

LUNGS = Dataset(
    key="lungs",
    title="Lung CT (slices and volumes)",
    env="DLMI_LUNG_DATA",
    kaggle=("datasets", "download", "-d", "kmader/finding-lungs-in-ct-data", "--unzip"),
    after_download="Done. Point the app at it: DLMI_LUNG_DATA={out}",
    demo=write_lungs,
    demo_cost=0.3,
    layout="`2d_images/`, `2d_masks/`, `3d_images/`",
)
