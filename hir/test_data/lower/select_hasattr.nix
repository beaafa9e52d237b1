e: k: [ e.a.${k} (e.a or 1) (e ? a.b) (e ? ${k}) (e.${"s"}) (e."q${k}") ]
