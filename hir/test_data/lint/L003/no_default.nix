{ a, b ? a }:
b
