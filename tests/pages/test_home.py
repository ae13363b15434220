from tests.pages.conftest import open_page


def test_home_lists_the_datasets_and_says_synthetic(app_env):
    at = open_page()
    assert at.title[0].value == "Deep learning in medical imaging"
    table = at.dataframe[0].value
    assert list(table["usable items"]) == [60, 24, 4]
    assert set(table["source"]) == {"synthetic demo"}
    assert any("synthetic demo data" in w.value for w in at.warning)


def test_first_start_generates_the_demo_data(monkeypatch, tmp_path):
    monkeypatch.setenv("DLMI_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DLMI_DEMO_SIZE", "small")
    at = open_page()
    assert (tmp_path / "demo" / "eyepacs" / "trainLabels.csv").is_file()
    assert list(at.dataframe[0].value["status"]) == ["ready"] * 3


def test_a_missing_real_folder_is_reported_not_crashed(app_env, monkeypatch, tmp_path):
    monkeypatch.setenv("DLMI_DR_DATA", str(tmp_path / "no-such-folder"))
    at = open_page()
    assert "does not exist" in at.dataframe[0].value["status"][0]
    at = open_page("pages/dr.py")
    assert any("does not exist" in e.value for e in at.error)
