{ a }@args: args
