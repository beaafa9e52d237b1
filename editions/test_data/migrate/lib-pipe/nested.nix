{ lib, xs }:
lib.pipe (lib.pipe xs [ lib.tail ]) [ lib.head (x: x * 2) ]
