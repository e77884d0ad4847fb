"""tearsheet's own plugins, registered through the ``tearsheet`` entry points."""
