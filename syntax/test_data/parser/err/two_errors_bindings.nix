# errors: 2
{ a = ; b = 2; c = ; }
