"""The safe, fast XLSX reader: check an upload before parsing it, then read its table.

``upload`` proves a file is a real, harmless XLSX; ``sheetscan`` finds error cells and
the last row from the sheet's XML; ``workbook`` chooses the data sheet and header and
yields the rows in chunks; ``cells`` holds the value types (``CellError``).
"""
