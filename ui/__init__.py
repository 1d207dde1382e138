"""The only Streamlit code outside pages/: session keys, the login widget, cached resources."""
