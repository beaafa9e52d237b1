x: true: {
  a = if x then 1 else false;
  b = if x then true else false;
}
