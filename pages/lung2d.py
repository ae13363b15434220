"""Lung 2D, end to end: slices, augmentation, U-Net training, IoU and error overlays."""

import streamlit as st

from ui.data import data_banner, dataset_report, ensure_demo_data, require
from ui.lung2d import augmentation_section, data_section, evaluation_section, preset_selector, training_settings
from ui.training import run_picker, training_panel
from ui.shell import ensure_entrypoint

ensure_entrypoint()
st.set_page_config(page_title="Lung 2D · Deep learning in medical imaging")  # each page its own title (WCAG 2.4.2)

st.title("Lung segmentation in CT slices")
ensure_demo_data(["lung2d"])  # the demo data of this task only, generated the first time it is needed
report = dataset_report("lung2d")
data_banner(report, "lung2d")
require(report)
preset_selector()

data_section(report)
augmentation_section(report)
config = training_settings(str(report.path))
training_panel("lung2d", config)

st.header("Results")
run = run_picker("lung2d")
if run is not None:
    evaluation_section(run)
