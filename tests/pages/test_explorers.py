from lib.data import read_eyepacs
from tests.pages.conftest import open_page


def test_dr_explorer_shows_histogram_and_thumbnails(app_env):
    at = open_page("pages/dr.py")
    assert at.title[0].value.startswith("Diabetic retinopathy")
    assert any("Synthetic demo data" in w.value for w in at.warning)
    chart = at.get("plotly_chart")[0]
    assert "largest class" in chart.proto.spec
    levels_present = [n > 0 for n in read_eyepacs(app_env / "data" / "demo" / "eyepacs").summary["levels"].values()]
    images = at.get("image")
    assert len(images) == sum(levels_present)  # one strip per level that has photos
    if not all(levels_present):
        assert any("no photo of this level" in c.value for c in at.caption)
    assert len(images[0].proto.imgs) == 4  # four level-0 photos by default
    at.slider[0].set_value(2).run()
    assert not at.exception


def test_lung2d_explorer_browses_slices(app_env):
    at = open_page("pages/lung2d.py")
    assert "24 slices" in at.markdown[0].value
    at.slider[0].set_value(5).run()
    assert not at.exception
    assert "lungs cover" in at.caption[-1].value


def test_lung3d_explorer_switches_planes(app_env):
    at = open_page("pages/lung3d.py")
    assert at.selectbox[0].options[0].startswith("IMG_0002")
    at.radio[0].set_value("coronal").run()
    assert not at.exception
    at.selectbox[0].set_value("0078").run()
    assert not at.exception and "(16, 64, 64)" in at.caption[-1].value
