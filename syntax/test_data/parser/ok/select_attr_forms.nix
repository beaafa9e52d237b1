a."b c".${d}.or
