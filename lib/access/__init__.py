"""Who is using the app and what they may do: sign-in (:mod:`lib.access.identity`), the class's settings and
its rules (:mod:`lib.access.policy`: roles, what each role sees and controls, per-user limits, run sizes).

The Streamlit side (``ui/session.py``) only gathers what the browser says (a form, a proxy's header, the
OIDC user) and asks these modules; nothing here imports streamlit.
"""
