[ x.a # the a
  x.b ]
