{ src ? null, x }:
if src == null || x == null then 1 else 2
