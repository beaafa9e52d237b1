a ? b or c
