"""Home: what the app teaches, which data it found, how to add real data. Everything listed comes from the registry."""

import streamlit as st

from lib import paths, tasks
from lib.data.check import is_synthetic
from ui.data import dataset_report
from ui.navigation import page_of
from ui.shell import ensure_entrypoint

ensure_entrypoint()
st.set_page_config(page_title="Home · Deep learning in medical imaging")  # each page its own title (WCAG 2.4.2)

st.title("Deep learning in medical imaging")
count = len(tasks.names())
st.markdown(f"{'Three' if count == 3 else count} tasks, each run end to end in the browser:\n\n"
            + "\n".join(f"- **{task.title}**: {task.summary or task.items}" for task in tasks.all_tasks()))

st.subheader("Data found")
rows = []
for task in tasks.all_tasks():
    location = paths.locate(task.dataset)
    if location.is_demo and not is_synthetic(location.path):
        rows.append({"task": task.title, "dataset": task.dataset.title, "source": "synthetic demo", "usable items": 0,
                     "skipped files": 0, "status": "not generated yet: opening the task's page writes it (under a minute)",
                     "folder": str(location.path)})
        continue
    report = dataset_report(task.name)
    rows.append({
        "task": task.title,
        "dataset": report.name,
        "source": "synthetic demo" if report.synthetic else "real",
        "usable items": report.n_items,
        "skipped files": len(report.problems),
        "status": "ready" if report.ok else f"unusable: {report.fatal}",
        "folder": str(report.path),
    })
for column, task in zip(st.columns(len(rows) or 1), tasks.all_tasks()):  # each task's name opens its page
    column.page_link(page_of(task), label=task.title, icon=task.icon)
st.dataframe(rows, hide_index=True, width="stretch", column_config={
    "task": st.column_config.TextColumn("task", width="small"),
    "status": st.column_config.TextColumn("status", width="medium"),
    "folder": st.column_config.TextColumn("folder", width="large", help="Where the app reads this dataset"),
})
if any(r["source"] == "synthetic demo" for r in rows):
    st.warning("Some tasks run on **synthetic demo data**: generated images, not real patients.", icon=":material/science:")

with st.expander("How to add the real Kaggle data"):
    folders = "\n".join(f"   - `{paths.data_dir() / d.key}` for {d.title}, or point the app at it with `{d.env}=/path`"
                        for d in tasks.datasets().values())
    st.markdown(
        f"""
1. Get the data with the kaggle CLI (credentials in `KAGGLE_USERNAME` / `KAGGLE_KEY`):
   `python -m lib download {' / '.join(tasks.datasets())}`, or copy folders you already have.
2. Put them in the Kaggle layouts ({'; '.join(f"{d.title}: {d.layout}" for d in tasks.datasets().values() if d.layout)}) at
{folders}
3. Check a folder first: `python -m lib inspect {tasks.names()[0]} /path/to/folder`.
"""
    )
