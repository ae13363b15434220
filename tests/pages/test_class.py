"""A class on one server: sign-in, what a student and a lecturer see, the limits on Start, the lecturer's Class page."""

import time

import pytest
from streamlit.testing.v1 import AppTest

from lib.access.identity import hash_password
from lib.access.policy import ClassSettings, save_class
from lib.jobs.folder import files
from lib.text import plain
from lib.jobs.folder.store import RunStore
from lib.tasks import config_for
from tests.helpers.runs import make_lung2d_run, make_running_run
from tests.pages.conftest import ROOT

PASSWORDS = {"ada": "lecture-notes", "bob": "student-pass"}


@pytest.fixture
def roster(app_env):
    save_class(ClassSettings(auth="roster", lecturers=("ada",),
                             users={name: hash_password(p) for name, p in PASSWORDS.items()}),
               app_env / "data" / "class.json")
    return app_env


@pytest.fixture(autouse=True)
def waits(monkeypatch) -> list:
    """The delays the sign-in asked for after failures, recorded instead of slept (the guard's growing delays are real
    seconds: 1 + 2 + 4 for five wrong passwords)."""
    asked = []

    class Clock:
        def __getattr__(self, name):
            return getattr(time, name)

        @staticmethod
        def sleep(seconds):
            if seconds:
                asked.append(seconds)

    monkeypatch.setattr("ui.session.time", Clock())
    return asked


def signed_in(name: str, password: str | None = None, page: str | None = None, url_token: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    if url_token:
        at.query_params["u"] = url_token
    at.run()
    at.text_input(key="_sign_in_name").input(name)
    at.text_input(key="_sign_in_password").input(PASSWORDS[name] if password is None else password)
    at.button[0].click().run()
    if page is not None and not at.error:
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_roster_sign_in_refuses_a_wrong_password_and_lets_the_right_one_in(roster):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert [s.value for s in at.subheader] == ["Sign in"] and not at.sidebar.markdown
    at = signed_in("bob", "wrong-password")
    assert [e.value for e in at.error] == ["The user name or the password is not right."]
    assert at.text_input(key="_sign_in_name").value == "bob"  # still on the form
    at = signed_in("bob")
    assert not at.error and "Signed in as **bob** (student)" in [m.value for m in at.sidebar.markdown]
    assert "u" not in at.query_params  # nothing in the address to copy


def test_a_projected_url_gives_nobody_the_lecturers_runs(roster, demo_root):
    store = RunStore(roster / "runs")
    config = config_for("lung2d", preset="quick", data=str(demo_root / "lungs"), image_size=64)
    run_dir = make_running_run(store, config, "user:ada", label="the lecturer's live run")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["u"] = "user:ada"  # whatever the projector shows, the address carries no identity
    at.run()
    assert [s.value for s in at.subheader] == ["Sign in"]
    at = signed_in("bob", page="pages/lung2d.py", url_token="user:ada")
    assert not any(b.label == "Stop" for b in at.button)  # bob's panel does not follow ada's run
    assert not (run_dir / files.STOP).exists()


def test_students_do_not_get_the_class_page_and_lecturers_do(roster):
    student = signed_in("bob")
    with pytest.raises(ValueError, match="Could not find a navigation page"):  # not in a student's navigation
        student.switch_page("pages/classroom.py")
    lecturer = signed_in("ada", page="pages/classroom.py")
    assert [h.value for h in lecturer.header][:6] == ["Queue", "Published runs", "Class polls",
                                                      "Answers to the course's questions",
                                                      "The class's runs as one experiment", "Limits for students"]


def test_the_class_limits_refuse_a_run_with_a_clear_message(roster, demo_root):
    at = signed_in("bob", page="pages/lung2d.py")
    at.number_input(key="l2_epochs").set_value(500).run()
    at.button(key="lung2d_start").click().run()
    assert any("epochs = 500 is more than this class allows (50)" in e.value for e in at.error), [e.value for e in at.error]
    assert not list((roster / "runs").glob("*/config.json"))  # nothing was queued

    store = RunStore(roster / "runs")
    config = config_for("lung3d", preset="quick", data=str(demo_root / "lungs"), stride=4)
    for _ in range(2):  # two runs of bob's already training or waiting, on another page
        make_running_run(store, config, "user:bob", label="bob's 3D run")
    at.number_input(key="l2_epochs").set_value(5).run()
    at.button(key="lung2d_start").click().run()
    assert any("each student may have at most 2 at once" in e.value for e in at.error), [e.value for e in at.error]
    assert len(list((roster / "runs").glob("*/config.json"))) == 2


def test_the_lecturer_stops_any_run_and_publishes_runs(roster, demo_root):
    store = RunStore(roster / "runs")
    config = config_for("lung2d", preset="quick", data=str(demo_root / "lungs"), image_size=64)
    running = make_running_run(store, config, "user:bob", label="bob's run")
    finished = make_lung2d_run(store, demo_root / "lungs", owner="user:ada")
    at = signed_in("ada", page="pages/classroom.py")
    assert any(m.value.startswith("**bob** · Lung 2D · training") for m in at.markdown)
    at.button(key=f"class_stop_{running.name}").click().run()
    assert (running / files.STOP).exists()
    at.multiselect(key="class_published").select(finished.name).run()
    assert (finished / files.PUBLISHED).exists()
    assert not at.exception
    at.sidebar.toggle(key="_presentation_toggle").set_value(True).run()  # the projector: no names, no list
    assert any("1 run(s) published" in c.value for c in at.caption) and not at.multiselect
    at.sidebar.toggle(key="_presentation_toggle").set_value(False).run()  # and back (it used to raise a TypeError)
    assert not at.exception and at.multiselect(key="class_published").value == [finished.name]
    student = signed_in("bob", page="pages/lung2d.py")
    assert [o.split(" · ")[:3] for o in student.selectbox(key="lung2d_run_choice").options] == \
        [["published by ada", "tiny lung 2D run", "done"]]
    assert any("This run is published by ada: you can look at everything, and change nothing." in c.value
               for c in student.caption)
    make_lung2d_run(store, demo_root / "lungs", owner="user:bob")
    student.run()
    assert sorted(o.split(" · ")[0] for o in student.selectbox(key="lung2d_run_choice").options) == \
        ["published by ada", "yours"]


def test_the_lecturer_sets_the_limits_from_the_class_page(roster):
    at = signed_in("ada", page="pages/classroom.py")
    at.number_input(key="cap_high_epochs").set_value(10.0)
    next(b for b in at.button if b.label == "Save the limits").click().run()
    assert any(s.value.startswith("Saved") for s in at.success)
    time.sleep(0.01)
    from lib.access.policy import load_class

    assert load_class(roster / "data" / "class.json").caps["epochs"] == (None, 10.0)


def test_a_proxy_header_signs_the_user_in(app_env, monkeypatch):
    save_class(ClassSettings(auth="proxy", lecturers=("ada",)), app_env / "data" / "class.json")
    monkeypatch.setattr("ui.session._server_address", lambda: "127.0.0.1")  # behind its proxy, as the README says
    monkeypatch.setattr("ui.session._headers", lambda: {"Host": "class.example"})
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert any("X-Forwarded-User header" in e.value for e in at.error)
    monkeypatch.setattr("ui.session._headers", lambda: {"x-forwarded-user": "ada"})
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert "Signed in as **ada** (lecturer)" in [m.value for m in at.sidebar.markdown]


def test_oidc_sign_in_uses_the_providers_user(app_env, monkeypatch):
    save_class(ClassSettings(auth="oidc", lecturers=("ada@uni.example",)), app_env / "data" / "class.json")
    monkeypatch.setattr("ui.session._oidc_user", lambda: {"is_logged_in": False})
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert [b.label for b in at.button] == ["Sign in"]
    monkeypatch.setattr("ui.session._oidc_user", lambda: {"is_logged_in": True, "email": "carol@uni.example"})
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert f"Signed in as **{plain('carol@uni.example')}** (student)" in [m.value for m in at.sidebar.markdown]


def test_a_broken_class_file_stops_sign_in_with_its_name(app_env):
    (app_env / "data" / "class.json").write_text('{"auth": "roster"}')
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert any("class.json" in e.value and "no users are listed" in e.value for e in at.error)
    assert not at.exception


def test_the_fraction_experiment_counts_as_all_its_runs(roster):
    at = signed_in("bob", page="pages/lung3d.py")
    at.button(key="l3_sweep").click().run()  # four fractions by default; a student may have two runs at once
    assert any("these 4 runs would make 4" in e.value for e in at.error), [e.value for e in at.error]
    assert not list((roster / "runs").glob("*/config.json"))


def test_a_user_removed_from_the_class_is_signed_out_at_their_next_click(roster):
    at = signed_in("bob")
    assert "Signed in as **bob** (student)" in [m.value for m in at.sidebar.markdown]
    from lib.access.policy import load_class

    settings = load_class(roster / "data" / "class.json")
    save_class(ClassSettings(auth="roster", lecturers=("ada", "bob"), users=settings.users), roster / "data" / "class.json")
    at.run()
    assert "Signed in as **bob** (lecturer)" in [m.value for m in at.sidebar.markdown]  # the role follows the file
    save_class(ClassSettings(auth="roster", lecturers=("ada",), users={"ada": settings.users["ada"]}),
               roster / "data" / "class.json")
    at.run()
    assert [s.value for s in at.subheader] == ["Sign in"]


def test_a_proxy_header_sent_straight_to_a_server_on_every_interface_is_refused(app_env, monkeypatch):
    """Without a shared secret, a server on every interface believes nobody's header: it fails closed."""
    save_class(ClassSettings(auth="proxy", lecturers=("ada",)), app_env / "data" / "class.json")
    monkeypatch.setattr("ui.session._server_address", lambda: None)
    monkeypatch.setattr("ui.session._headers", lambda: {"x-forwarded-user": "ada"})
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.sidebar.markdown or "Signed in as" not in " ".join(m.value for m in at.sidebar.markdown)
    assert any("listens on every interface" in e.value for e in at.error)


def test_a_proxy_secret_lets_the_proxy_in_and_nobody_else(app_env, monkeypatch):
    from lib.access.identity import secret_hash

    save_class(ClassSettings(auth="proxy", lecturers=("ada",), proxy_secret=secret_hash("from-the-proxy")),
               app_env / "data" / "class.json")
    monkeypatch.setattr("ui.session._server_address", lambda: "0.0.0.0")
    monkeypatch.setattr("ui.session._headers", lambda: {"x-forwarded-user": "ada", "x-proxy-secret": "a guess"})
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert any("lacks the proxy's shared secret" in e.value for e in at.error)
    monkeypatch.setattr("ui.session._headers", lambda: {"x-forwarded-user": "ada", "x-proxy-secret": "from-the-proxy"})
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert "Signed in as **ada** (lecturer)" in [m.value for m in at.sidebar.markdown]


def test_the_class_file_removed_while_the_app_runs_stops_sign_in(app_env, monkeypatch):
    """Fail closed: a server that has run a class never becomes a single-user laptop without sign-in or limits."""
    import streamlit as st

    st.cache_resource.clear()
    path = app_env / "data" / "class.json"
    save_class(ClassSettings(auth="roster", users={"ada": hash_password("lecture-notes")}), path)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert [f.label for f in at.text_input] == ["User name", "Password"]  # a class: the sign-in form
    for breakage in ("removed", "folder", "dangling"):
        if path.is_dir():
            path.rmdir()
        else:
            path.unlink(missing_ok=True)
        if breakage == "folder":
            path.mkdir()
        elif breakage == "dangling":
            path.symlink_to(app_env / "nowhere.json")
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
        assert any("nobody can sign in" in e.value for e in at.error), breakage
        assert not at.text_input and not any("Single-user mode" in c.value for c in at.sidebar.caption), breakage


def test_a_guesser_opening_new_sessions_is_locked_out_and_the_lecturer_unlocks(roster, waits):
    """Failures are counted on disk, per account: five wrong passwords from five fresh sessions lock the account, so
    the sixth guess (even the right password) is refused unchecked; the lecturer sees the lock and lifts it."""
    for attempt in range(5):
        at = signed_in("bob", f"guess-{attempt}")  # a new Streamlit session every time
        assert [e.value for e in at.error] == ["The user name or the password is not right."], attempt
    assert waits == [1.0, 2.0, 4.0]  # two free failures, then each waits twice as long
    at = signed_in("bob")  # the right password, too late
    assert any("Too many failed sign-ins" in e.value for e in at.error)
    assert not at.sidebar.markdown or "Signed in as" not in " ".join(m.value for m in at.sidebar.markdown)
    lecturer = signed_in("ada", page="pages/classroom.py")
    assert "Locked sign-ins" in [h.value for h in lecturer.header]
    assert any("account **bob**" in m.value for m in lecturer.markdown)
    lecturer.button(key="unlock_account_bob").click().run()
    at = signed_in("bob")
    assert "Signed in as **bob** (student)" in [m.value for m in at.sidebar.markdown]


def test_the_lecturer_resets_a_password_and_removes_a_user_from_the_class_page(roster):
    bob = signed_in("bob")
    ada = signed_in("ada", page="pages/classroom.py")
    assert "Students and passwords" in [h.value for h in ada.header]
    ada.selectbox(key="roster_user").set_value("bob").run()
    ada.button(key="roster_reset").click().run()
    assert any(s.value == "bob's new password (shown once, kept nowhere):" for s in ada.success)
    new = ada.code[0].value
    ada.run()
    assert not [c for c in ada.code if c.value == new]  # shown once
    bob.run()  # bob's next click: the old password's session is over
    assert [s.value for s in bob.subheader] == ["Sign in"]
    assert signed_in("bob", "student-pass").error  # the old password no longer works
    assert "Signed in as **bob** (student)" in [m.value for m in signed_in("bob", new).sidebar.markdown]

    assert ada.button(key="roster_remove").disabled  # not before "Yes, remove"
    ada.selectbox(key="roster_user").set_value("ada").run()
    ada.checkbox(key="roster_confirm").check().run()
    ada.button(key="roster_remove").click().run()
    assert any("cannot remove yourself" in e.value for e in ada.error)
    ada.selectbox(key="roster_user").set_value("bob").run()
    ada.checkbox(key="roster_confirm").check().run()
    ada.button(key="roster_remove").click().run()
    assert any("bob was removed and signed out" in s.value for s in ada.success)
    from lib.access.policy import load_class

    assert set(load_class(roster / "data" / "class.json").users) == {"ada"}


def test_an_open_tab_ends_at_its_next_click_after_signing_out_elsewhere_or_expiry(roster):
    """Every page run checks the session in the store: signing out in one tab, or the 12 hours running out, ends every
    other tab of that session at its next click (a tab used to keep every page until it was closed)."""
    import sqlite3

    tab = signed_in("bob")
    other = signed_in("bob")
    other.sidebar.button(key="_sign_out").click().run()
    assert [s.value for s in other.subheader] == ["Sign in"]
    tab.run()  # the first tab's session is another one: still signed in
    assert "Signed in as **bob** (student)" in [m.value for m in tab.sidebar.markdown]
    with sqlite3.connect(roster / "data" / "sign-in.sqlite3") as db:  # 12 hours later, for every session of bob
        db.execute("UPDATE sessions SET expires = 0 WHERE user = 'bob'")
    tab.run()
    assert [s.value for s in tab.subheader] == ["Sign in"]


def test_a_sign_in_tab_and_its_twin_share_one_session_that_sign_out_ends(roster):
    """Signing out ends the session that the tab's cookie carries: a tab restored from that cookie ends too."""
    from lib.access.sessions import Sessions

    tab = signed_in("bob")
    session = tab.session_state["_session_id"]
    assert Sessions(roster / "data" / "sign-in.sqlite3").user(session, {"bob": "x"}) is None  # fingerprint differs
    tab.sidebar.button(key="_sign_out").click().run()
    from lib.access.policy import load_class

    assert Sessions(roster / "data" / "sign-in.sqlite3").user(session, load_class(roster / "data" / "class.json").users) is None


def test_names_typed_at_sign_in_show_as_typed_on_the_class_page(roster):
    """A name typed at sign-in becomes a key of the locks list: markdown in it (a phishing link, an image, a formula)
    is shown as characters, never rendered (tests/browser/test_plain_text.py checks the same escaping in a browser;
    tests/lib/access/test_guard.py that a megabyte-long name is stored as 64 characters)."""
    planted = "[Sign in again](http://evil.example) ![i](http://e.ex/i) $x$"  # 64 characters at most
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    for attempt in range(5):
        at.text_input(key="_sign_in_name").input(planted)
        at.text_input(key="_sign_in_password").input("wrong-password")
        at.button[0].click().run()
    at.text_input(key="_sign_in_name").input("")
    at.button[0].click().run()
    assert [e.value for e in at.error] == ["Type your user name."]
    lecturer = signed_in("ada", page="pages/classroom.py")
    shown = [m.value for m in lecturer.markdown if m.value.startswith("account ")]
    assert len(shown) == 1, shown  # the planted name's (the empty name was never counted)  # bob and the planted name (the long name failed once: not locked)
    planted_line = next((m for m in shown if "evil" in m), None)
    assert planted_line is not None, shown
    assert "](http" not in planted_line.replace("\\]\\(http", "") and "\\[" in planted_line and "\\$x\\$" in planted_line
    assert (roster / "data" / "sign-in.sqlite3").stat().st_size < 200_000


def test_a_shared_run_opens_from_the_experiments_list_by_keyboard(roster, demo_root):
    """The class experiment's points are clicked on the chart; the same runs open from a list too (keyboard, screen
    reader), which names nobody on the projector."""
    store = RunStore(roster / "runs")
    shared = make_lung2d_run(store, demo_root / "lungs", owner="user:bob")
    store.share(shared.name, owner="user:bob")
    rate = store.load(shared.name).config["learning_rate"]
    at = signed_in("ada", page="pages/classroom.py")
    at.selectbox(key="class_sweep_task").select("lung2d").run()
    pick = at.selectbox(key="class_sweep_pick_lung2d_desk")
    iou = store.load(shared.name).metrics["mean_slice_iou"]
    assert pick.options == [f"Learning rate {rate:g}: test mean slice iou {iou:.3f} (bob)"]
    pick.select(shared.name).run()
    assert any(m.value.endswith("(read-only)") and "bob" in m.value for m in at.markdown)
    at.sidebar.toggle(key="_presentation_toggle").set_value(True).run()  # the projector: no names, the run stays open
    projected = at.selectbox(key="class_sweep_pick_lung2d_projector")
    assert projected.options == [f"Learning rate {rate:g}: test mean slice iou {iou:.3f}"]
    assert projected.value == shared.name
    assert [s.key for s in at.selectbox if s.key and s.key.startswith("class_sweep_pick")] == [projected.key]
    assert any(m.value.endswith("(read-only)") for m in at.markdown)
    at.sidebar.toggle(key="_presentation_toggle").set_value(False).run()
    assert at.selectbox(key="class_sweep_pick_lung2d_desk").value == shared.name
    assert not at.exception
