"""The web interface: templates, static files and the server-drawn landscape charts."""
