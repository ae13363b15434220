"""DR referral, end to end: data, balanced sample, preprocessing, training, ROC and the operating point."""

import streamlit as st

from ui.data import data_banner, dataset_report, ensure_demo_data, require
from ui.dr import data_section, preprocessing_section, preset_selector, training_settings
from ui.dr_eval import evaluation_section
from ui.training import run_picker, training_panel
from ui.shell import ensure_entrypoint

ensure_entrypoint()
st.set_page_config(page_title="DR referral · Deep learning in medical imaging")  # each page its own title (WCAG 2.4.2)

st.title("Diabetic retinopathy: refer or not?")
ensure_demo_data(["dr"])  # the demo data of this task only, generated the first time it is needed
report = dataset_report("dr")
data_banner(report, "dr")
require(report)
preset_selector()

data_section(report)
prepared = preprocessing_section(report)
config = training_settings(str(report.path))
training_panel("dr", config if prepared is not None else None)

st.header("Results")
run = run_picker("dr")
if run is not None:
    evaluation_section(run)
