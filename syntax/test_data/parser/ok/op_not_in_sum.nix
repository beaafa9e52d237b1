a + !b + c
