let # the old form
{
  x = 1; body = x;
}
