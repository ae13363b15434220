"""Lung 3D: a slice browser over a CT volume and its mask."""

import streamlit as st

from lib.data.lung3d import BadVolumeError
from lib.figures.display import overlay, plane, window
from ui.data import data_banner, dataset_report, require, volume
from ui.shell import ensure_entrypoint

ensure_entrypoint()

st.title("Lung segmentation in CT volumes")
report = dataset_report("lung3d")
data_banner(report)
require(report)

pairs = {pair.volume_id: pair for pair in report.items}
volume_id = st.selectbox("Volume", list(pairs), format_func=lambda v: f"IMG_{v} ({pairs[v].shape[0]} slices)")
pair = pairs[volume_id]
stride = max(1, pair.shape[1] // 128)  # display at about 128 x 128 in-plane
try:
    image, mask = volume(pair, stride)
except BadVolumeError as exc:
    st.error(str(exc))
    st.stop()

planes = {"axial": 0, "coronal": 1, "sagittal": 2}
name = st.radio("Plane", list(planes), horizontal=True)
axis = planes[name]
index = st.slider(f"{name.capitalize()} slice", 0, image.shape[axis] - 1, image.shape[axis] // 2)
grey = window(plane(image, axis, index))
lungs = plane(mask, axis, index)
left, right = st.columns(2)
left.image(grey, caption=f"IMG_{volume_id}, {name} slice {index}", width="stretch")
right.image(overlay(grey, lungs), caption=f"lung mask ({lungs.mean():.1%} of this slice)", width="stretch")
st.caption(f"Volume shape {pair.shape} (slices, rows, columns); shown every {stride}th row and column.")
