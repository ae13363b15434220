"""Lung 3D from sparse labels, end to end: volumes, sparse labels, 3D U-Net, IoU, views, the label-fraction experiment."""

import streamlit as st

from ui.data import data_banner, dataset_report, ensure_demo_data, require
from ui.lung3d import evaluation_section, experiment_section, preset_selector, roles_section, sparse_section, training_settings
from ui.training import run_picker, training_panel
from ui.shell import ensure_entrypoint

ensure_entrypoint()
st.set_page_config(page_title="Lung 3D · Deep learning in medical imaging")  # each page its own title (WCAG 2.4.2)

st.title("Lung segmentation in CT volumes from sparse labels")
ensure_demo_data(["lung3d"])  # the demo data of this task only, generated the first time it is needed
report = dataset_report("lung3d")
data_banner(report, "lung3d")
require(report)
preset_selector()

prepared = roles_section(report)
if prepared is None:
    st.stop()
sparse_section(prepared)
config = training_settings(str(report.path), prepared)
training_panel("lung3d", config)
experiment_section(config)

st.header("Results")
run = run_picker("lung3d")
if run is not None:
    evaluation_section(run)
