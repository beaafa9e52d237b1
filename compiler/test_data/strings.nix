let name = "world"; in [ "hello ${name}" ./path/${name} ''
  indented ${name}
'' ]
