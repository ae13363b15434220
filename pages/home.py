"""Home: what the app teaches, which data it found, how to add real data."""

import streamlit as st

from lib import config
from ui.data import dataset_report
from ui.shell import ensure_entrypoint

ensure_entrypoint()

st.title("Deep learning in medical imaging")
st.markdown(
    """
Three tasks, each run end to end in the browser:

- **DR referral**: refer or not refer a diabetic patient from a colour fundus photograph
  (class imbalance, balanced sampling, transfer learning, ROC and the operating point).
- **Lung 2D**: segment the lungs in single CT slices with a small U-Net (augmentation, IoU).
- **Lung 3D**: segment lungs in CT volumes with a 3D U-Net trained from sparse slice labels.
"""
)

st.subheader("Data found")
rows = []
for kind, label in (("dr", "DR photos (EyePACS)"), ("lung2d", "Lung CT slices"), ("lung3d", "Lung CT volumes")):
    report = dataset_report(kind)
    rows.append({
        "dataset": label,
        "source": "synthetic demo" if report.synthetic else "real",
        "usable items": report.n_items,
        "skipped files": len(report.problems),
        "status": "ready" if report.ok else f"unusable: {report.fatal}",
        "folder": str(report.path),
    })
st.dataframe(rows, hide_index=True)
if any(r["source"] == "synthetic demo" for r in rows):
    st.warning("Some tasks run on **synthetic demo data**: generated images, not real patients.", icon=":material/science:")

with st.expander("How to add the real Kaggle data"):
    st.markdown(
        f"""
1. Get the data with the kaggle CLI (credentials in `KAGGLE_USERNAME` / `KAGGLE_KEY`):
   `python -m lib download dr` and `python -m lib download lung`, or copy folders you already have.
2. Put them at `{config.data_dir() / 'eyepacs'}` (holding `trainLabels.csv` and `train/`) and
   `{config.data_dir() / 'lungs'}` (holding `2d_images/`, `2d_masks/`, `3d_images/`),
   or point the app at them: `DLMI_DR_DATA=/path/to/eyepacs DLMI_LUNG_DATA=/path/to/lungs streamlit run app.py`.
3. Check a folder first: `python -m lib inspect dr /path/to/eyepacs`.
"""
    )
