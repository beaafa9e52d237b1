{ a, ... } @ args: a + args.b
