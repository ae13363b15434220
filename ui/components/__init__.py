"""Custom Streamlit components (inline HTML/CSS/JS through ``st.components.v2``; no build step, no CDN)."""
