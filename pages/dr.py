"""DR referral: dataset explorer."""

import streamlit as st

from lib.data.eyepacs import LEVEL_NAMES, LEVELS
from lib.figures.charts import level_histogram
from ui.data import data_banner, dataset_report, require
from ui.dr import thumbnails_by_level

st.title("Diabetic retinopathy: refer or not?")
report = dataset_report("dr")
data_banner(report)
require(report)

st.subheader("1. How many photos of each level?")
st.plotly_chart(level_histogram(report.summary["levels"], LEVEL_NAMES))
st.caption("Levels 2-4 (red) are referred to an ophthalmologist; 0-1 (blue) are not.")

st.subheader("2. What does each level look like?")
per_level = st.slider("Photos per level", 1, 8, 4)
for level, images in thumbnails_by_level(report, per_level).items():
    st.markdown(f"**Level {level}: {LEVEL_NAMES[level]}**")
    if images:
        st.image([img for img, _ in images], caption=[cap for _, cap in images], width=220)
    else:
        st.caption("no photo of this level in the dataset")
