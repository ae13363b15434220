"""Lung 2D: slices with their lung masks."""

import streamlit as st

from lib.data.lung2d import BadFileError, load_lung2d_pair
from lib.figures.display import overlay, window
from ui.data import data_banner, dataset_report, require
from ui.shell import ensure_entrypoint

ensure_entrypoint()

st.title("Lung segmentation in CT slices")
report = dataset_report("lung2d")
data_banner(report)
require(report)

st.markdown(f"**{report.n_items} slices** with hand-drawn lung masks. Pick one:")
names = [pair.name for pair in report.items]
index = st.slider("Slice", 0, len(names) - 1, 0, format="%d")
pair = report.items[index]
try:
    image, mask = load_lung2d_pair(pair)
except BadFileError as exc:
    st.error(str(exc))
    st.stop()

left, middle, right = st.columns(3)
grey = window(image)
left.image(grey, caption=f"{pair.name} (lung window)", width="stretch")
middle.image(mask * 255, caption="mask (white = lung)", width="stretch")
right.image(overlay(grey, mask), caption="mask over the slice", width="stretch")
st.caption(f"Values from {image.min():.0f} to {image.max():.0f}; lungs cover {mask.mean():.1%} of the slice.")
