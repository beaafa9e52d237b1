args@{ a }: a
