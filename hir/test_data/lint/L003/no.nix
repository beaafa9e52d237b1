{ lib, _unused, ... } @ args:
lib.foo args
