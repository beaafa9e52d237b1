args@{ a, ... }: args
