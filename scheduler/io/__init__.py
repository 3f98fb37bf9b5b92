"""Files in and out. Readers (`tables`, `scenario`, `roster`, `history`) turn what users prepare into typed
data, naming file, row and column for every problem; writers (`workbook`, `reports`, `files`) never lose
an earlier output. Readers never import writers."""
