[ ''
    line one
      indented ${x}
  '' ''a''$b'' ]
