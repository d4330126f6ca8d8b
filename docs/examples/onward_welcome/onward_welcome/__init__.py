"""onward-welcome: the plugin built in docs/plugins.md, step by step."""
