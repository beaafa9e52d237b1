f (g (# why
  h x))
