x: [ (x == null) (/. + "/a") ]
