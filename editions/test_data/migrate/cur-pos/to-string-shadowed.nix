toString: { p = __curPos; }
