"""Class (lecturers only): the whole queue with who is waiting, stop any run, publish runs, the class's limits."""

import streamlit as st

from ui import classroom, polls
from ui.session import identity
from ui.shell import ensure_entrypoint

ensure_entrypoint()
st.set_page_config(page_title="Class · Deep learning in medical imaging")  # each page its own title (WCAG 2.4.2)

if not identity().is_lecturer:  # the navigation offers this page to lecturers only; a typed address gets nothing
    st.error("This page is for the class's lecturers.")
    st.stop()
st.title("Class")
classroom.queue_section()
classroom.publish_section()
polls.lecturer_section()
classroom.answers_section()
classroom.class_experiment_section()
classroom.limits_section()
classroom.roster_section()
classroom.locks_section()
