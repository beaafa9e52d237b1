{ src ? ./., patches ? [ ] }:
if src == null || null != patches then 1 else 2
