if a then b else c + 1
