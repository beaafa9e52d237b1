args @ { a, ... }: a
