"""The Streamlit dashboard; it talks to the API only (issue #8)."""
