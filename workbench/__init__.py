"""The Streamlit workbench's own data access and access control."""
