"""onward-hello: the smallest third-party Onward plugin (a page, a command, a menu entry)."""
