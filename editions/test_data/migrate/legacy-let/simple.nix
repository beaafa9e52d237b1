let {
  x = 1;
  # the result
  body = x + 1;
}
