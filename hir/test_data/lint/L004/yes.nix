{ a, b } @ args: a + b
