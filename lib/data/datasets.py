"""The datasets the tasks read: where they live by default and how Kaggle ships them.

A dataset can serve several tasks (the lung CT folder holds the 2D slices and the 3D volumes).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Dataset:
    """One dataset folder in a Kaggle layout.

    Attributes
    ----------
    key : its folder name under the data dir and under the demo dir ("eyepacs", "lungs")
    title : a name for people
    env : the environment variable that points the app at a real copy
    kaggle : the ``kaggle`` CLI arguments that fetch it (before ``-p OUT``)
    after_download : what to do once it is downloaded (``{out}`` is the folder)
    """

    key: str
    title: str
    env: str
    kaggle: tuple[str, ...]
    after_download: str


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
)

LUNGS = Dataset(
    key="lungs",
    title="Lung CT (slices and volumes)",
    env="DLMI_LUNG_DATA",
    kaggle=("datasets", "download", "-d", "kmader/finding-lungs-in-ct-data", "--unzip"),
    after_download="Done. Point the app at it: DLMI_LUNG_DATA={out}",
)

DATASETS = {d.key: d for d in (EYEPACS, LUNGS)}
