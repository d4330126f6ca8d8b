"""The data import plugin: XLSX uploads read safely and fast, staged, validated and published."""
