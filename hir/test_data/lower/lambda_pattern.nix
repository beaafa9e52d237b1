{ a, b ? a, c ? args, ... }@args: b
