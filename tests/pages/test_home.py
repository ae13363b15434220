import json

from tests.pages.conftest import open_page


def test_home_lists_the_datasets_and_says_synthetic(app_env):
    at = open_page()
    assert at.title[0].value == "Deep learning in medical imaging"
    table = at.dataframe[0].value
    assert list(table["usable items"]) == [60, 24, 4]
    assert set(table["source"]) == {"synthetic demo"}
    assert any("synthetic demo data" in w.value for w in at.warning)


def test_demo_data_is_generated_by_the_page_that_needs_it_and_only_that(monkeypatch, tmp_path, processes):
    monkeypatch.setenv("DLMI_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DLMI_DEMO_SIZE", "small")
    at = open_page()  # Home answers at once: it generates nothing
    assert not (tmp_path / "demo").exists()
    assert all(status.startswith("not generated yet") for status in at.dataframe[0].value["status"])
    at = open_page("pages/lung2d.py", timeout=120)
    assert (tmp_path / "demo" / "lungs" / "2d_images").is_dir()
    assert not (tmp_path / "demo" / "eyepacs").exists()  # the DR page's data waits for the DR page
    assert any("Synthetic demo data" in w.value for w in at.warning)
    statuses = list(open_page().dataframe[0].value["status"])
    assert statuses[0].startswith("not generated yet") and statuses[1:] == ["ready", "ready"]


def test_a_missing_real_folder_is_reported_not_crashed(app_env, monkeypatch, tmp_path):
    monkeypatch.setenv("DLMI_DR_DATA", str(tmp_path / "no-such-folder"))
    at = open_page()
    assert "does not exist" in at.dataframe[0].value["status"][0]
    at = open_page("pages/dr.py")
    assert any("does not exist" in e.value for e in at.error)


def test_presentation_mode_enlarges_the_text_and_hides_the_small_print(app_env):
    from tests.pages.conftest import open_page

    at = open_page()
    styles = lambda: " ".join(h.proto.body for h in at.get("html"))
    assert "font-size: 20px" not in styles()
    at.sidebar.toggle(key="_presentation_toggle").set_value(True).run()
    assert not at.exception
    assert "font-size: 20px" in styles() and "stCaptionContainer" in styles()
    at.switch_page("pages/lung2d.py").run()
    assert "font-size: 20px" in styles()  # it stays on from page to page


def test_each_task_name_opens_its_page_and_the_folder_column_is_wide(app_env):
    """Issue 30: the Home table's task names were not links, and its folder column was clipped."""
    from lib import tasks

    at = open_page()
    links = at.get("page_link")
    assert [link.proto.label for link in links] == [task.title for task in tasks.all_tasks()]
    assert [link.proto.page.rsplit("/", 1)[-1].removesuffix(".py") for link in links] == tasks.names()
    [table] = [d for d in at.dataframe if "folder" in d.value.columns]
    config = json.loads(table.proto.columns)
    assert config["folder"]["width"] == "large"


def test_presentation_mode_is_kept_in_the_address_for_a_reload_and_a_slides_link(app_env):
    from streamlit.testing.v1 import AppTest

    from tests.pages.conftest import ROOT, open_page

    at = open_page()
    at.sidebar.toggle(key="_presentation_toggle").set_value(True).run()
    assert at.query_params.get("present") == ["1"] or at.query_params.get("present") == "1"
    reloaded = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)  # a reload, or a link: a new session
    reloaded.query_params["present"] = "1"
    reloaded.run()
    styles = " ".join(h.proto.body for h in reloaded.get("html"))
    assert "font-size: 20px" in styles and reloaded.sidebar.toggle(key="_presentation_toggle").value
    reloaded.sidebar.toggle(key="_presentation_toggle").set_value(False).run()
    assert "present" not in reloaded.query_params
