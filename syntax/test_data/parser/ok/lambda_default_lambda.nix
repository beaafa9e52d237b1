{ a ? x: x }: a
