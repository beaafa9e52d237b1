toString: builtins: __curPos
