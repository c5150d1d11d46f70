"""One module per screen; each exposes ``render(client)`` (not named `pages`:
Streamlit would turn that folder into its own multipage menu)."""
